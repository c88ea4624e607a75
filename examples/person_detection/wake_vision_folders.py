"""Write a sample of the Wake Vision dataset into person/ and non_person/ folders, the layout
`tinygen demo person-detection --images DIR` reads labels from.

Wake Vision (Harvard Edge Computing Lab, CC BY 4.0) is a person-detection dataset of about six
million images with a manually labelled test split: https://huggingface.co/datasets/Harvard-Edge/Wake-Vision
This script streams the split you name from the Hugging Face hub (internet needed, nothing else
is downloaded) and keeps the first --per-class images of each class.

    pip install datasets
    python examples/person_detection/wake_vision_folders.py wake_vision_test --per-class 100
    tinygen demo person-detection --model vww_96_int8.tflite --images wake_vision_test
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to create (person/ and non_person/ go inside)")
    parser.add_argument("--per-class", type=int, default=100, help="images per class (default 100)")
    parser.add_argument("--split", default="test", help="dataset split (default test: manually labelled)")
    parser.add_argument("--dataset", default="Harvard-Edge/Wake-Vision", help="Hugging Face dataset name")
    parser.add_argument("--label-column", default="person", help="the 0/1 person label (default person)")
    parser.add_argument("--image-column", default="image", help="the image column (default image)")
    args = parser.parse_args()
    try:
        from datasets import load_dataset
    except ImportError:
        sys.exit("this script needs the Hugging Face datasets package: pip install datasets")

    rows = load_dataset(args.dataset, split=args.split, streaming=True)
    counts = {"person": 0, "non_person": 0}
    for folder in counts:
        (args.out / folder).mkdir(parents=True, exist_ok=True)
    for i, row in enumerate(rows):
        if args.label_column not in row or args.image_column not in row:
            sys.exit(f"{args.dataset}: no column {args.label_column!r} or {args.image_column!r}; "
                     f"columns: {', '.join(sorted(row))} (use --label-column / --image-column)")
        folder = "person" if int(row[args.label_column]) == 1 else "non_person"
        if counts[folder] >= args.per_class:
            if all(n >= args.per_class for n in counts.values()):
                break
            continue
        row[args.image_column].convert("RGB").save(args.out / folder / f"{args.split}_{i:07d}.jpg", quality=95)
        counts[folder] += 1
    print(f"wrote {counts['person']} person and {counts['non_person']} non_person images to {args.out}")


if __name__ == "__main__":
    main()

"""Demos that take a model from a file to answers on a board (`tinygen demo ...`).

person_detection.py  `tinygen demo person-detection`: photos in, person / no person out, checked
                     bit-exact against TFLite Micro
preprocess.py        images to a model's input tensor; what is inferred from the input's quantization
client.py            the host side of the serial protocol (templates/app/tinygen_serve.h), one
                     client for real boards (serial port) and emulated ones (QEMU's UART on a socket)
sheet.py             the PNG contact sheet
"""

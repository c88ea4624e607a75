#ifndef TG_UNIDIRECTIONAL_SEQUENCE_LSTM_H
#define TG_UNIDIRECTIONAL_SEQUENCE_LSTM_H

#include <stdint.h>

/* UNIDIRECTIONAL_SEQUENCE_LSTM with int8 weights and an int16 cell state, the input and hidden
 * state int8 (int32 biases) or int16 (int64 biases): TFLite Micro's integer arithmetic (no peephole, projection, layer norm or
 * CIFG, which TFLite Micro's kernel refuses). Every step runs the four gates, each
 * input x weights + hidden x recurrent weights into int16 at scale 2^-12 (saturating), through
 * a sigmoid (the cell gate a tanh) to int16 at scale 2^-15; then
 *   cell   = forget * cell + input_gate * cell_gate   (int16, saturating, optionally clipped)
 *   hidden = tanh(cell) * output_gate                  (the hidden state's type and zero point)
 * and copies the hidden state to the step's output. The hidden and cell states persist between
 * invokes (variable tensors). */

/* One gate's two fully connected products. */
typedef struct {
  int32_t input_multiplier, input_shift;         /* input x weights -> scale 2^-12 */
  int32_t recurrent_multiplier, recurrent_shift; /* hidden x recurrent weights -> scale 2^-12 */
  const int8_t *input_weights;                   /* [state_size][input_size] */
  const int8_t *recurrent_weights;               /* [state_size][state_size] */
  const void *bias;                              /* [state_size], int32_t (int8 input) or int64_t (int16) */
} tg_lstm_gate_params;

typedef struct {
  int32_t batches, steps, input_size, state_size;
  int32_t time_major;   /* input [steps][batches][input_size], else [batches][steps][input_size] */
  int32_t input_offset; /* -input zero point */
  int32_t hidden_offset; /* -hidden state zero point, as the recurrent products read it */
  int32_t forget_multiplier, forget_shift; /* forget gate x cell -> cell */
  int32_t update_multiplier, update_shift; /* input gate x cell gate -> cell */
  int32_t hidden_multiplier, hidden_shift, hidden_zero_point; /* tanh(cell) x output gate -> hidden */
  int32_t clip_cell, cell_clip; /* with clip_cell, the cell state is clamped to +-cell_clip */
  int32_t cell_tanh_multiplier, cell_tanh_shift; /* the cell state to tanh's input (see the .c) */
  const tg_lstm_gate_params *forget, *input, *cell, *output;
  int16_t *scratch; /* 4 x rows x state_size, rows = batches when time major, else 1 */
} tg_lstm_params;

void tg_unidirectional_sequence_lstm_s8(const tg_lstm_params *p, const int8_t *input, int8_t *hidden, int16_t *cell,
                                        int8_t *output);
void tg_unidirectional_sequence_lstm_s16(const tg_lstm_params *p, const int16_t *input, int16_t *hidden,
                                         int16_t *cell, int16_t *output);

#endif

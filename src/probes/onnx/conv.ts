// Convolutions with an input gradient that works for every stride, dilation and grouping on
// every tfjs backend. tfjs has no gradient for dilated convolutions, and the wasm backend has no
// kernel for the depthwise input gradient; both are written here as one transposed convolution:
// spread dy by the stride (zeros between), pad it fully, and convolve with the kernel flipped in
// space (input and output channels swapped). Only the input gradient is computed: the weights
// are constants of the probed model.

import { tf } from "../backend";

type Kind = "conv" | "depthwise";

/** Every `s`-th row and column from the first. */
export function subsample(y: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return y;
  const [nb, h, w, c] = y.shape;
  const oh = Math.ceil(h / sh);
  const ow = Math.ceil(w / sw);
  const padded = tf.pad(y, [[0, 0], [0, oh * sh - h], [0, ow * sw - w], [0, 0]]);
  return tf.slice(padded.reshape([nb, oh, sh, ow, sw, c]), [0, 0, 0, 0, 0, 0], [nb, oh, 1, ow, 1, c]).reshape([nb, oh, ow, c]) as tf.Tensor4D;
}

/** dy with (s - 1) zeros between rows and columns: the inverse of a strided read. */
function spread(dy: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return dy;
  const [nb, oh, ow, c] = dy.shape;
  const wide = tf.pad(dy.reshape([nb, oh, 1, ow, 1, c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
  return tf.slice(wide.reshape([nb, oh * sh, ow * sw, c]), [0, 0, 0, 0], [nb, (oh - 1) * sh + 1, (ow - 1) * sw + 1, c]) as tf.Tensor4D;
}

function forward(x: tf.Tensor4D, filter: tf.Tensor4D, kind: Kind, strides: [number, number], dil: [number, number]): tf.Tensor4D {
  // tfjs convolves with strides or dilations, not both: dilate at stride 1, then subsample.
  const both = (strides[0] > 1 || strides[1] > 1) && (dil[0] > 1 || dil[1] > 1);
  const st: [number, number] = both ? [1, 1] : strides;
  const y = kind === "conv" ? tf.conv2d(x, filter, st, "valid", "NHWC", dil) : tf.depthwiseConv2d(x, filter, st, "valid", "NHWC", dil);
  return both ? subsample(y, strides[0], strides[1]) : y;
}

/**
 * Valid NHWC convolution of an already padded input. `filter` is [kh, kw, in, out] for "conv",
 * [kh, kw, in, multiplier] for "depthwise".
 */
export function convolve(x: tf.Tensor4D, filter: tf.Tensor4D, kind: Kind, strides: [number, number], dil: [number, number]): tf.Tensor4D {
  const simple = strides[0] === 1 && strides[1] === 1 && dil[0] === 1 && dil[1] === 1 && kind === "conv";
  // Stride-1 undilated convolutions keep tfjs's gradient (fast-gradients.ts speeds it up on wasm).
  if (simple) return tf.conv2d(x, filter, 1, "valid", "NHWC");
  const f = tf.customGrad(((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor4D;
    // The filter must outlive the forward pass (tfjs disposes what no one saved).
    (args[1] as tf.GradSaveFunc)([filter]);
    const [, h, w] = input.shape;
    const value = forward(input, filter, kind, strides, dil);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor => {
      const kernel = saved[0] as tf.Tensor4D;
      const [kh, kw, cin, cm] = kernel.shape;
      const up = spread(dy as tf.Tensor4D, strides[0], strides[1]);
      const ph = (kh - 1) * dil[0];
      const pw = (kw - 1) * dil[1];
      const full = tf.pad(up, [[0, 0], [ph, ph], [pw, pw], [0, 0]]);
      const flipped = tf.reverse(kernel, [0, 1]);
      let dx: tf.Tensor4D;
      if (kind === "conv") {
        dx = tf.conv2d(full, tf.transpose(flipped, [0, 1, 3, 2]) as tf.Tensor4D, 1, "valid", "NHWC", dil);
      } else {
        // Channel c*m+j of dy came from input channel c: convolve each with its own kernel, sum over j.
        const per = tf.depthwiseConv2d(full, flipped.reshape([kh, kw, cin * cm, 1]) as tf.Tensor4D, 1, "valid", "NHWC", dil);
        dx = (cm === 1 ? per : tf.sum(per.reshape([...per.shape.slice(0, 3), cin, cm]), 4)) as tf.Tensor4D;
      }
      // Rows and columns the stride never read get no gradient.
      const [dh, dw] = [h - dx.shape[1], w - dx.shape[2]];
      return dh > 0 || dw > 0 ? tf.pad(dx, [[0, 0], [0, Math.max(0, dh)], [0, Math.max(0, dw)], [0, 0]]) : dx;
    };
    return { value, gradFunc };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as tf.Tensor4D;
}

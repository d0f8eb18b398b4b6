// Faster input gradients on the wasm backend. Its Conv2DBackpropInput and MaxPoolGrad kernels are
// plain loops, ten times slower than the forward pass that XNNPACK runs. For the common cases
// the same gradients are written with fast forward kernels:
//  - stride-1, undilated NHWC convolution: dx = conv2d(dy, filter flipped in space with in/out
//    channels swapped), padded so the output has x's size;
//  - max pooling whose windows tile the input (size = stride, valid padding): dx = dy spread over
//    each window, kept where x equals the window's maximum.
// Anything else falls back to tfjs's own gradient.

import * as tf from "./tfjs";

type Pad = "same" | "valid" | number | [[number, number], [number, number], [number, number], [number, number]] | "explicit";

let installed = false;

function pairs(v: unknown): [number, number] {
  return Array.isArray(v) ? [Number(v[0]), Number(v[1] ?? v[0])] : [Number(v), Number(v)];
}

/** Padding (top, bottom, left, right) the forward convolution used, or undefined when not expressible. */
function forwardPads(pad: unknown, kh: number, kw: number, explicit: unknown): [number, number, number, number] | undefined {
  if (pad === "valid") return [0, 0, 0, 0];
  if (pad === "same") {
    // Stride 1: total padding k - 1, the extra cell at the bottom/right (TensorFlow's convention).
    return [Math.floor((kh - 1) / 2), Math.ceil((kh - 1) / 2), Math.floor((kw - 1) / 2), Math.ceil((kw - 1) / 2)];
  }
  if (typeof pad === "number") return [pad, pad, pad, pad];
  const e = (pad === "explicit" ? explicit : pad) as number[][] | undefined;
  if (Array.isArray(e) && e.length === 4) return [e[1]![0]!, e[1]![1]!, e[2]![0]!, e[2]![1]!];
  return undefined;
}

export function installFastGradients(): void {
  if (installed) return;
  installed = true;
  const convDefault = tf.getGradient("Conv2D");
  const poolDefault = tf.getGradient("MaxPool");
  if (convDefault) {
    tf.registerGradient({
      kernelName: "Conv2D",
      inputsToSave: ["x", "filter"],
      gradFunc: (dy, saved, attrs) => {
        const fallback = convDefault.gradFunc(dy, saved, attrs);
        const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
        const a = attrs as unknown as { strides: unknown; dilations: unknown; pad: Pad; dataFormat: string; explicitPaddings?: unknown };
        const [sh, sw] = pairs(a.strides);
        const [dh, dw] = pairs(a.dilations ?? 1);
        const [kh, kw] = [filter.shape[0], filter.shape[1]];
        const p = forwardPads(a.pad, kh, kw, a.explicitPaddings);
        if (sh !== 1 || sw !== 1 || dh !== 1 || dw !== 1 || a.dataFormat !== "NHWC" || !p) return fallback;
        const [pt, pb, pl, pr] = p;
        const back: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [kh - 1 - pt, kh - 1 - pb], [kw - 1 - pl, kw - 1 - pr], [0, 0]];
        if (back.some(([u, v]) => u < 0 || v < 0)) return fallback;
        return {
          x: () => {
            const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
            const dx = tf.conv2d(dy as tf.Tensor4D, flipped, 1, back, "NHWC");
            return dx.shape[1] === x.shape[1] && dx.shape[2] === x.shape[2] ? dx : (fallback["x"] as () => tf.Tensor)();
          },
          ...(fallback["filter"] ? { filter: fallback["filter"] } : {}),
        };
      },
    });
  }
  if (poolDefault) {
    tf.registerGradient({
      kernelName: "MaxPool",
      inputsToSave: ["x"],
      outputsToSave: [true],
      gradFunc: (dy, saved, attrs) => {
        const fallback = poolDefault.gradFunc(dy, saved, attrs);
        const [x, y] = saved as [tf.Tensor4D, tf.Tensor4D];
        const a = attrs as unknown as { filterSize: unknown; strides: unknown; pad: unknown };
        const [fh, fw] = pairs(a.filterSize);
        const [sh, sw] = pairs(a.strides);
        const [, h, w] = x.shape;
        const tiles = fh === sh && fw === sw && (a.pad === "valid" || a.pad === 0) && h % fh === 0 && w % fw === 0;
        if (!tiles) return fallback;
        return {
          x: () => {
            const up = (t: tf.Tensor4D): tf.Tensor4D => tf.image.resizeNearestNeighbor(t, [h, w]);
            return tf.mul(tf.cast(tf.equal(x, up(y)), "float32"), up(dy as tf.Tensor4D));
          },
        };
      },
    });
  }
}

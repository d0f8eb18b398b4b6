// Kernels the wasm backend lacks, borrowed from the cpu backend. tfjs gradients call kernels the
// wasm backend never registered: fused Conv2D's gradient computes Conv2DBackpropFilter even when
// only the input's gradient is wanted, and DepthwiseConv2D/SeparableConv2D need
// DepthwiseConv2dNativeBackpropInput/Filter. Without them a white-box attack on a Keras model with
// a linear-activation Conv2D or any depthwise layer dies with "Kernel ... not registered for
// backend 'wasm'". Each missing kernel is registered on wasm as a call into the cpu backend's
// reference implementation: inputs are copied out of the wasm heap, the cpu kernel runs, outputs
// are copied back. Only kernels wasm does not have are added, so nothing wasm runs changes.

import * as tf from "./tfjs";

interface WasmLike {
  readSync(dataId: unknown): tf.backend_util.BackendValues;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): tf.TensorInfo;
}
interface CpuLike {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): tf.TensorInfo;
  readSync(dataId: unknown): tf.backend_util.BackendValues;
  disposeIntermediateTensorInfo(info: tf.TensorInfo): void;
}

let bridged: string[] | undefined;

function copy(values: tf.backend_util.BackendValues): tf.backend_util.BackendValues {
  return ArrayBuffer.isView(values) ? (values as Float32Array).slice() : values;
}

/** Registers every cpu kernel the wasm backend lacks as a bridge to cpu; returns their names. */
export function bridgeMissingWasmKernels(): string[] {
  if (bridged) return bridged;
  const onWasm = new Set(tf.getKernelsForBackend("wasm").map((k) => k.kernelName));
  bridged = [];
  for (const cpuKernel of tf.getKernelsForBackend("cpu")) {
    if (onWasm.has(cpuKernel.kernelName)) continue;
    bridged.push(cpuKernel.kernelName);
    tf.registerKernel({
      kernelName: cpuKernel.kernelName,
      backendName: "wasm",
      kernelFunc: ({ inputs, attrs, backend }) => {
        const wasm = backend as unknown as WasmLike;
        const cpu = tf.findBackend("cpu") as unknown as (CpuLike & { firstUse?: boolean }) | null;
        if (!cpu) throw new Error(`kernel ${cpuKernel.kernelName} is not available on wasm and the cpu backend could not start`);
        // The cpu backend prints a "use tfjs-node" banner on its first write; the library never writes to the console.
        cpu.firstUse = false;
        const made: tf.TensorInfo[] = [];
        const cpuInputs: Record<string, tf.TensorInfo> = {};
        for (const [name, info] of Object.entries(inputs)) {
          if (!info) continue;
          const t = cpu.makeTensorInfo(info.shape, info.dtype, copy(wasm.readSync(info.dataId)));
          made.push(t);
          cpuInputs[name] = t;
        }
        try {
          const out = cpuKernel.kernelFunc({ inputs: cpuInputs, attrs: attrs ?? {}, backend: cpu as never });
          const outs = Array.isArray(out) ? out : [out];
          made.push(...outs);
          const back = outs.map((o) => wasm.makeOutput(o.shape, o.dtype, undefined, copy(cpu.readSync(o.dataId))));
          return Array.isArray(out) ? back : back[0]!;
        } finally {
          for (const t of made) cpu.disposeIntermediateTensorInfo(t);
        }
      },
    });
  }
  return bridged;
}

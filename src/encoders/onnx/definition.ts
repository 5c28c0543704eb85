import type { EncoderDefinition } from '../registry.js';
import { OnnxEncoder } from './onnx-encoder.js';

export const definition: EncoderDefinition = {
  name: 'onnx',
  order: 12,
  describe: 'A Hugging Face / sentence-transformers model exported to ONNX, run offline (transformers.js)',
  options: {
    modelDir: { type: 'string', required: true, help: 'onnx: model folder (onnx/model.onnx, tokenizer.json, config.json, sentence-transformers configs)' },
    onnxPooling: {
      type: 'string',
      choices: ['config', 'mean', 'cls'],
      default: 'config',
      help: "onnx: pooling ('config': as the folder's sentence-transformers config says)",
    },
    onnxNormalize: {
      type: 'string',
      choices: ['config', 'yes', 'no'],
      default: 'config',
      help: 'onnx: L2 normalisation (config: if modules.json has a Normalize module)',
    },
    maxLength: { type: 'number', integer: true, min: 2, help: 'onnx: tokens per sentence (default: max_seq_length, else the model limit)' },
  },
  async create(o) {
    return OnnxEncoder.load({
      modelDir: o.modelDir as string,
      pooling: o.onnxPooling as 'config' | 'mean' | 'cls',
      normalize: o.onnxNormalize as 'config' | 'yes' | 'no',
      ...(o.maxLength !== undefined ? { maxLength: o.maxLength as number } : {}),
    });
  },
};

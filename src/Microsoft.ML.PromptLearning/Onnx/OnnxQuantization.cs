using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Onnx;

/// <summary>How an int8 export computes its quantized matrix products (all are weight-only static, activation dynamic).</summary>
internal enum OnnxInt8Kernel
{
    /// <summary>
    /// Standard operators only: <c>DynamicQuantizeLinear</c> (uint8 activations, one scale per tensor) → <c>MatMulInteger</c>
    /// (int8 weights, symmetric, one scale per output column) → <c>Cast</c> → <c>Mul</c> by both scales → <c>Add</c> bias.
    /// ONNX Runtime fuses the chain into its <c>DynamicQuantizeMatMul</c> kernel; other runtimes run it as written.
    /// </summary>
    MatMulInteger,
    /// <summary>ONNX Runtime's contrib operator <c>com.microsoft.DynamicQuantizeMatMul</c> written directly (same arithmetic as <see cref="MatMulInteger"/>).</summary>
    DynamicQuantizeMatMul,
    /// <summary>ONNX Runtime's contrib operator <c>com.microsoft.MatMulNBits</c> with 8 bits, blocks of 32..128 rows and int8 compute (accuracy level 4).</summary>
    MatMulNBits,
}

/// <summary>Weight quantization and the quantized operators of an int8 export.</summary>
internal static class OnnxQuantization
{
    /// <summary>
    /// Largest |q| of the int8 weights fed to MatMulInteger: 7 bits ("reduce range"). ONNX Runtime multiplies uint8 activations
    /// by int8 weights with VPMADDUBSW on AVX2 / AVX-512 CPUs without VNNI, which saturates int16 pair sums (255·127·2 > 32767);
    /// with full-range weights the tiny test model's probabilities moved by 0.083, with 7-bit weights by 0.009.
    /// </summary>
    public const int MatMulIntegerWeightLimit = 63;

    /// <summary>Symmetric int8 per output column of a <c>[in, out]</c> matrix: <c>w ≈ q · scale[column]</c>, q in [-limit, limit].</summary>
    public static (sbyte[] Q, float[] Scales) QuantizePerColumn(float[] weightInOut, int inSize, int outSize, int limit = 127)
    {
        var scales = new float[outSize];
        for (int r = 0; r < inSize; r++)
            for (int c = 0; c < outSize; c++)
                scales[c] = Math.Max(scales[c], Math.Abs(weightInOut[r * outSize + c]));
        for (int c = 0; c < outSize; c++) scales[c] = scales[c] > 0 ? scales[c] / limit : 1f;
        var q = new sbyte[weightInOut.Length];
        for (int r = 0; r < inSize; r++)
            for (int c = 0; c < outSize; c++)
                q[r * outSize + c] = (sbyte)Math.Clamp(MathF.Round(weightInOut[r * outSize + c] / scales[c]), -limit, limit);
        return (q, scales);
    }

    /// <summary><c>x · W + b</c> with int8 weights, emitted with the graph's <see cref="ErnieOnnxGraph.Int8Kernel"/>.</summary>
    public static string QuantizedLinear(ErnieOnnxGraph g, string x, float[] weightInOut, int inSize, int outSize, float[] bias, string name)
    {
        var b = g.Builder;
        switch (g.Int8Kernel)
        {
            case OnnxInt8Kernel.MatMulInteger:
            {
                var (q, scales) = QuantizePerColumn(weightInOut, inSize, outSize, MatMulIntegerWeightLimit);
                var xq = b.NodeMulti("DynamicQuantizeLinear", [x], [name + ".x_q", name + ".x_scale", name + ".x_zero_point"], null);
                var acc = b.Node("MatMulInteger", [xq[0], b.SBytes(name + ".weight_q", q, inSize, outSize), xq[2]], name + ".acc");       // int32 [.., out]
                var accFloat = b.Node("Cast", [acc], name + ".acc_float", ("to", (long)OnnxType.Float));
                var scale = b.Node("Mul", [xq[1], b.Floats(name + ".weight_scale", scales, outSize)], name + ".scale");                  // [out]
                var y = b.Node("Mul", [accFloat, scale], name + ".matmul");
                return bias is null ? y : b.Node("Add", [y, b.Floats(name + ".bias", bias, outSize)], name + ".out");
            }
            case OnnxInt8Kernel.DynamicQuantizeMatMul:
            {
                var (q, scales) = QuantizePerColumn(weightInOut, inSize, outSize, MatMulIntegerWeightLimit);
                var inputs = new List<string> { x, b.SBytes(name + ".weight_q", q, inSize, outSize), b.Floats(name + ".weight_scale", scales, outSize), "" };
                if (bias is not null) inputs.Add(b.Floats(name + ".bias", bias, outSize));
                return b.DomainNode(OnnxGraphBuilder.MicrosoftDomain, "DynamicQuantizeMatMul", inputs.ToArray(), name + ".out");
            }
            case OnnxInt8Kernel.MatMulNBits:
            {
                int blockSize = inSize >= 128 ? 128 : inSize >= 64 ? 64 : 32;
                int blocks = (inSize + blockSize - 1) / blockSize;
                var packed = new byte[outSize * blocks * blockSize];                                                                  // [out, blocks, blockSize]
                var scales = new float[outSize * blocks];
                for (int c = 0; c < outSize; c++)
                    for (int k = 0; k < blocks; k++)
                    {
                        float max = 0;
                        for (int j = 0; j < blockSize; j++)
                        {
                            int r = k * blockSize + j;
                            if (r < inSize) max = Math.Max(max, Math.Abs(weightInOut[r * outSize + c]));
                        }
                        float s = max > 0 ? max / 127 : 1f;
                        scales[c * blocks + k] = s;
                        for (int j = 0; j < blockSize; j++)
                        {
                            int r = k * blockSize + j;
                            float v = r < inSize ? weightInOut[r * outSize + c] : 0;
                            packed[(c * blocks + k) * blockSize + j] = (byte)(Math.Clamp(MathF.Round(v / s), -127, 127) + 128);       // zero point 128
                        }
                    }
                var y = b.DomainNode(OnnxGraphBuilder.MicrosoftDomain, "MatMulNBits",
                    [x, b.Bytes(name + ".weight_q", packed, outSize, blocks, blockSize), b.Floats(name + ".weight_scale", scales, outSize * blocks)],
                    name + ".matmul", ("K", (long)inSize), ("N", (long)outSize), ("bits", 8L), ("block_size", (long)blockSize), ("accuracy_level", 4L));
                return bias is null ? y : b.Node("Add", [y, b.Floats(name + ".bias", bias, outSize)], name + ".out");
            }
            default:
                throw new NotSupportedException($"Unknown int8 kernel {g.Int8Kernel}.");
        }
    }

    /// <summary>An embedding lookup from an int8 table with one scale per row: <c>Gather</c> of rows and scales, <c>Cast</c>, <c>Mul</c>.</summary>
    public static string QuantizedEmbedding(ErnieOnnxGraph g, Tensor table, string ids, string name)
    {
        var b = g.Builder;
        int rows = (int)table.shape[0], cols = (int)table.shape[1];
        var w = ErnieOnnxGraph.Data(table);
        var q = new sbyte[w.Length];
        var scales = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            float max = 0;
            for (int c = 0; c < cols; c++) max = Math.Max(max, Math.Abs(w[r * cols + c]));
            float s = max > 0 ? max / 127 : 1f;
            scales[r] = s;
            for (int c = 0; c < cols; c++) q[r * cols + c] = (sbyte)Math.Clamp(MathF.Round(w[r * cols + c] / s), -127, 127);
        }
        var gathered = b.Node("Gather", [b.SBytes(name + ".weight_q", q, rows, cols), ids], name + ".rows_q", ("axis", 0L));              // int8 [B, T, H]
        var rowScales = b.Node("Gather", [b.Floats(name + ".weight_scale", scales, rows), ids], name + ".row_scales", ("axis", 0L));     // [B, T]
        var asFloat = b.Node("Cast", [gathered], name + ".rows_float", ("to", (long)OnnxType.Float));
        return b.Node("Mul", [asFloat, b.Node("Unsqueeze", [rowScales, g.LongVector(-1)], name + ".row_scales_3d")], name);               // [B, T, H]
    }
}

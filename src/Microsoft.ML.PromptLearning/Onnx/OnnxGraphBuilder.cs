using System.Runtime.InteropServices;
using Google.Protobuf;
using Microsoft.ML.PromptLearning.Onnx.Proto;

namespace Microsoft.ML.PromptLearning.Onnx;

/// <summary>Element types of ONNX tensors that the exporter uses (values of <c>TensorProto.DataType</c>).</summary>
internal enum OnnxType
{
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    Int32 = 6,
    Int64 = 7,
    Float16 = 10,
}

/// <summary>
/// Builds one ONNX model: initializers from arrays, nodes with attributes, typed inputs and outputs whose dimensions
/// may be symbolic (<c>"batch"</c>, <c>"sequence"</c>), operator-set imports and metadata. Value names are unique:
/// <see cref="Node"/> returns the names of the outputs it created.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    /// <summary>The ONNX IR version written (8: understood by onnx 1.12+ and every ONNX Runtime since 1.10).</summary>
    public const long IrVersion = 8;

    /// <summary>The default-domain operator set the graphs are written for.</summary>
    public const long Opset = 17;

    /// <summary>Microsoft's contrib-operator domain of ONNX Runtime.</summary>
    public const string MicrosoftDomain = "com.microsoft";

    private readonly GraphProto graph = new() { Name = "graph" };
    private readonly HashSet<string> names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> metadata = new(StringComparer.Ordinal);
    private readonly HashSet<string> domains = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> counters = new(StringComparer.Ordinal);

    public OnnxGraphBuilder(string graphName) => graph.Name = graphName;

    /// <summary>Total bytes of the initializers so far.</summary>
    public long InitializerBytes { get; private set; }

    /// <summary>A name not used yet, made from <paramref name="hint"/>.</summary>
    public string UniqueName(string hint)
    {
        if (names.Add(hint)) return hint;
        int n = counters.TryGetValue(hint, out var c) ? c : 1;
        string candidate;
        do candidate = $"{hint}_{n++}"; while (!names.Add(candidate));
        counters[hint] = n;
        return candidate;
    }

    // ---- inputs, outputs, metadata --------------------------------------------------------------------------------

    /// <summary>Declares a graph input; a dimension is a number or a symbolic name (a string).</summary>
    public string Input(string name, OnnxType type, params object[] dims)
    {
        if (!names.Add(name)) throw new InvalidOperationException($"The name '{name}' is already used in the graph.");
        graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares <paramref name="value"/> a graph output under its own name.</summary>
    public void Output(string value, OnnxType type, params object[] dims) => graph.Output.Add(ValueInfo(value, type, dims));

    /// <summary>Adds (or replaces) a metadata entry of the model.</summary>
    public void Metadata(string key, string value) => metadata[key] = value ?? "";

    private static ValueInfoProto ValueInfo(string name, OnnxType type, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
        {
            shape.Dim.Add(d switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                int i => new TensorShapeProto.Types.Dimension { DimValue = i },
                long l => new TensorShapeProto.Types.Dimension { DimValue = l },
                _ => throw new ArgumentException($"A dimension must be a number or a name, not {d?.GetType().Name ?? "null"}."),
            });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }

    // ---- initializers --------------------------------------------------------------------------------------------

    /// <summary>Adds a float32 initializer (row-major data of the given shape).</summary>
    public string Floats(string name, ReadOnlySpan<float> data, params long[] dims) => Raw(name, OnnxType.Float, MemoryMarshal.AsBytes(data), dims, data.Length);

    /// <summary>Adds a float16 initializer.</summary>
    public string Halves(string name, ReadOnlySpan<Half> data, params long[] dims) => Raw(name, OnnxType.Float16, MemoryMarshal.AsBytes(data), dims, data.Length);

    /// <summary>Adds an int8 initializer.</summary>
    public string SBytes(string name, ReadOnlySpan<sbyte> data, params long[] dims) => Raw(name, OnnxType.Int8, MemoryMarshal.AsBytes(data), dims, data.Length);

    /// <summary>Adds a uint8 initializer.</summary>
    public string Bytes(string name, ReadOnlySpan<byte> data, params long[] dims) => Raw(name, OnnxType.UInt8, data, dims, data.Length);

    /// <summary>Adds an int64 initializer.</summary>
    public string Longs(string name, ReadOnlySpan<long> data, params long[] dims) => Raw(name, OnnxType.Int64, MemoryMarshal.AsBytes(data), dims, data.Length);

    /// <summary>A float32 scalar constant (rank 0).</summary>
    public string Scalar(string name, float value) => Floats(name, [value]);

    /// <summary>A float16 scalar constant (rank 0).</summary>
    public string HalfScalar(string name, Half value) => Halves(name, [value]);

    /// <summary>An int64 scalar constant (rank 0).</summary>
    public string LongScalar(string name, long value) => Longs(name, [value]);

    /// <summary>A 1-D int64 constant (shapes, axes).</summary>
    public string LongVector(string name, params long[] values) => Longs(name, values, values.Length);

    private string Raw(string name, OnnxType type, ReadOnlySpan<byte> bytes, long[] dims, int count)
    {
        long expected = dims.Aggregate(1L, (a, b) => a * b);
        if (expected != count) throw new ArgumentException($"Initializer '{name}': {count} values do not fill shape [{string.Join(", ", dims)}].");
        var unique = UniqueName(name);
        var t = new TensorProto { Name = unique, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        t.Dims.AddRange(dims);
        graph.Initializer.Add(t);
        InitializerBytes += bytes.Length;
        return unique;
    }

    // ---- nodes ---------------------------------------------------------------------------------------------------

    /// <summary>Adds a node with one output; returns the output's name.</summary>
    public string Node(string opType, string[] inputs, string outputHint, params (string Name, object Value)[] attributes) =>
        NodeMulti(opType, inputs, [outputHint], null, attributes)[0];

    /// <summary>Adds a node of a non-default domain (e.g. <see cref="MicrosoftDomain"/>) with one output.</summary>
    public string DomainNode(string domain, string opType, string[] inputs, string outputHint, params (string Name, object Value)[] attributes) =>
        NodeMulti(opType, inputs, [outputHint], domain, attributes)[0];

    /// <summary>Adds a node with several outputs (an empty hint leaves that optional output unused); returns the output names.</summary>
    public string[] NodeMulti(string opType, string[] inputs, string[] outputHints, string domain, params (string Name, object Value)[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = UniqueName("n_" + (outputHints.FirstOrDefault(h => !string.IsNullOrEmpty(h)) ?? opType)) };
        if (!string.IsNullOrEmpty(domain))
        {
            node.Domain = domain;
            domains.Add(domain);
        }
        node.Input.AddRange(inputs.Select(i => i ?? ""));
        var outputs = outputHints.Select(h => string.IsNullOrEmpty(h) ? "" : UniqueName(h)).ToArray();
        node.Output.AddRange(outputs);
        foreach (var (name, value) in attributes) node.Attribute.Add(Attribute(name, value));
        graph.Node.Add(node);
        return outputs;
    }

    private static AttributeProto Attribute(string name, object value)
    {
        var a = new AttributeProto { Name = name };
        switch (value)
        {
            case int i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
            case long l: a.Type = AttributeProto.Types.AttributeType.Int; a.I = l; break;
            case float f: a.Type = AttributeProto.Types.AttributeType.Float; a.F = f; break;
            case double d: a.Type = AttributeProto.Types.AttributeType.Float; a.F = (float)d; break;
            case string s: a.Type = AttributeProto.Types.AttributeType.String; a.S = ByteString.CopyFromUtf8(s); break;
            case long[] ls: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ls); break;
            case int[] ints: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ints.Select(x => (long)x)); break;
            case float[] fs: a.Type = AttributeProto.Types.AttributeType.Floats; a.Floats.AddRange(fs); break;
            default: throw new ArgumentException($"Attribute '{name}': values of type {value?.GetType().Name ?? "null"} are not supported.");
        }
        return a;
    }

    // ---- the model -----------------------------------------------------------------------------------------------

    /// <summary>The finished model.</summary>
    public ModelProto Build(string producerName, string producerVersion, string docString)
    {
        var model = new ModelProto
        {
            IrVersion = IrVersion, ProducerName = producerName ?? "", ProducerVersion = producerVersion ?? "", Graph = graph, DocString = docString ?? "",
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var d in domains.Order(StringComparer.Ordinal)) model.OpsetImport.Add(new OperatorSetIdProto { Domain = d, Version = 1 });
        foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) model.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        return model;
    }
}

using System.Runtime.InteropServices;
using System.Text.Json.Nodes;

namespace Microsoft.ML.PromptLearning.Benchmarks;

/// <summary>
/// The CPU a figure came from: model name, logical cores and the instruction-set extensions that decide matmul speed
/// (AVX2/FMA, AVX-512, VNNI, BF16, FP16, AMX), read from <c>/proc/cpuinfo</c>. Every benchmark prints it first, so figures
/// from different machines are never compared by mistake.
/// </summary>
internal static class MachineInfo
{
    private static readonly (string Flag, string Name)[] Extensions =
    [
        ("avx2", "AVX2"), ("fma", "FMA"), ("avx512f", "AVX-512F"), ("avx512bw", "AVX-512BW"), ("avx512vl", "AVX-512VL"),
        ("avx512_vnni", "AVX-512 VNNI"), ("avx_vnni", "AVX-VNNI"), ("avx512_bf16", "AVX-512 BF16"), ("avx512_fp16", "AVX-512 FP16"),
        ("amx_tile", "AMX"), ("amx_bf16", "AMX-BF16"), ("amx_int8", "AMX-INT8"),
    ];

    private static readonly Lazy<(string Model, HashSet<string> Flags)> Cpu = new(() => Parse(ReadCpuInfo()));

    /// <summary>The processor's model name (or the architecture where <c>/proc/cpuinfo</c> is missing).</summary>
    public static string CpuModel => Cpu.Value.Model;

    /// <summary>The relevant extensions this CPU has, in a fixed order (e.g. "AVX2", "AVX-512F", …, "AMX-INT8").</summary>
    public static IReadOnlyList<string> RelevantExtensions => ExtensionNames(Cpu.Value.Flags);

    /// <summary>Whether the CPU multiplies bf16 natively (AVX-512 BF16 or AMX-BF16).</summary>
    public static bool HasBf16 => Cpu.Value.Flags.Contains("avx512_bf16") || Cpu.Value.Flags.Contains("amx_bf16");

    /// <summary>One line: model, logical cores and extensions, e.g. "CPU: Intel(R) Xeon(R) Processor, 2 logical cores; AVX2 FMA AVX-512F …".</summary>
    public static string Describe()
    {
        var extensions = RelevantExtensions;
        var missing = Extensions.Where(e => !Cpu.Value.Flags.Contains(e.Flag)).Select(e => e.Name).ToList();
        return $"CPU: {CpuModel}, {Environment.ProcessorCount} logical cores; {(extensions.Count > 0 ? string.Join(" ", extensions) : "none of AVX2/AVX-512/VNNI/BF16/AMX")}" +
               (missing.Count > 0 && extensions.Count > 0 ? $" (no {string.Join(", ", missing)})" : "") + $"; load average {LoadAverage()}";
    }

    /// <summary>The same facts for a JSON report.</summary>
    public static JsonObject ToJson() => new()
    {
        ["cpu"] = CpuModel,
        ["processors"] = Environment.ProcessorCount,
        ["extensions"] = new JsonArray(RelevantExtensions.Select(e => (JsonNode)e).ToArray()),
        ["os"] = RuntimeInformation.OSDescription,
        ["load_average_start"] = LoadAverage(),
    };

    /// <summary>The 1-minute load average (Linux), to tell a quiet run from one that shared the cores.</summary>
    public static string LoadAverage()
    {
        try { return File.ReadAllText("/proc/loadavg").Split(' ')[0]; }
        catch (IOException) { return "n/a"; }
        catch (UnauthorizedAccessException) { return "n/a"; }
    }

    private static string[] ReadCpuInfo()
    {
        try { return File.ReadAllLines("/proc/cpuinfo"); }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }

    /// <summary>The first processor's model name and flags in <c>/proc/cpuinfo</c> text (the architecture and no flags when absent).</summary>
    internal static (string Model, HashSet<string> Flags) Parse(IEnumerable<string> cpuInfoLines)
    {
        string model = null;
        var flags = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in cpuInfoLines)
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (key == "model name") model ??= value;
            else if (key == "flags" && flags.Count == 0) flags.UnionWith(value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
        return (model ?? RuntimeInformation.ProcessArchitecture.ToString(), flags);
    }

    /// <summary>The names of the relevant extensions among <paramref name="flags"/>, in a fixed order.</summary>
    internal static List<string> ExtensionNames(IReadOnlySet<string> flags) => Extensions.Where(e => flags.Contains(e.Flag)).Select(e => e.Name).ToList();
}

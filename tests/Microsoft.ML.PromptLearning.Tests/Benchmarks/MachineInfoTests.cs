using Microsoft.ML.PromptLearning.Benchmarks;

namespace Microsoft.ML.PromptLearning.Tests.Benchmarks;

public class MachineInfoTests
{
    private static readonly string[] CpuInfo =
    [
        "processor\t: 0",
        "vendor_id\t: GenuineIntel",
        "model name\t: Intel(R) Xeon(R) Platinum 8480+",
        "flags\t\t: fpu sse2 avx fma avx2 avx512f avx512bw avx512vl avx512_vnni avx512_bf16 amx_bf16 amx_tile amx_int8",
        "",
        "processor\t: 1",
        "model name\t: second core",
        "flags\t\t: fpu",
    ];

    [Fact]
    public void ReadsTheFirstProcessorsModelAndFlags()
    {
        var (model, flags) = MachineInfo.Parse(CpuInfo);
        Assert.Equal("Intel(R) Xeon(R) Platinum 8480+", model);
        Assert.Contains("amx_int8", flags);
        Assert.DoesNotContain("fpu sse2", flags);
        Assert.Equal(["AVX2", "FMA", "AVX-512F", "AVX-512BW", "AVX-512VL", "AVX-512 VNNI", "AVX-512 BF16", "AMX", "AMX-BF16", "AMX-INT8"],
            MachineInfo.ExtensionNames(flags));
    }

    [Fact]
    public void AnAvx2OnlyCpuListsNoAvx512()
    {
        var (_, flags) = MachineInfo.Parse(["model name : AMD EPYC 7B12", "flags : sse4_2 avx avx2 fma"]);
        Assert.Equal(["AVX2", "FMA"], MachineInfo.ExtensionNames(flags));
    }

    [Fact]
    public void WithoutCpuInfoTheArchitectureIsTheModel()
    {
        var (model, flags) = MachineInfo.Parse([]);
        Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString(), model);
        Assert.Empty(flags);
    }

    [Fact]
    public void TheDescriptionNamesThisCpu()
    {
        var line = MachineInfo.Describe();
        Assert.StartsWith("CPU: " + MachineInfo.CpuModel, line);
        Assert.Contains($"{Environment.ProcessorCount} logical cores", line);
        Assert.Equal(MachineInfo.CpuModel, MachineInfo.ToJson()["cpu"]!.GetValue<string>());
    }
}

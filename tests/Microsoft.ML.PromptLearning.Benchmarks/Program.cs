using System.CommandLine;
using BenchmarkDotNet.Running;
using Microsoft.ML.PromptLearning.Benchmarks;
using Microsoft.ML.PromptLearning.Benchmarks.Bf16;
using Microsoft.ML.PromptLearning.Benchmarks.EngineSpeed;
using Microsoft.ML.PromptLearning.Benchmarks.ModelSpeed;
using Microsoft.ML.PromptLearning.Benchmarks.MultiLabel;
using Microsoft.ML.PromptLearning.Benchmarks.OnnxParity;
using Microsoft.ML.PromptLearning.Benchmarks.OnnxSpeed;
using Microsoft.ML.PromptLearning.Benchmarks.ScoringSpeed;
using Microsoft.ML.PromptLearning.Benchmarks.Soak;
using Microsoft.ML.PromptLearning.Benchmarks.TrainSpeed;

// model-speed (default): Stopwatch harness for steps that take seconds. onnx-speed: TorchSharp vs ONNX Runtime fp32/int8 scoring. onnx-parity: TorchSharp vs ONNX probabilities and accuracy of trained models. micro: BenchmarkDotNet cases (arguments after 'micro' go to it).
// Every benchmark starts by naming the CPU its figures come from.
if (!args.Any(a => a is "-h" or "--help" or "-?" or "--version")) Console.WriteLine(MachineInfo.Describe());
if (args.Length > 0 && args[0] == "micro")
{
    BenchmarkSwitcher.FromAssembly(typeof(ModelSpeedCommand).Assembly).Run(args[1..]);
    return 0;
}
var root = new RootCommand("Microsoft.ML.PromptLearning benchmarks: 'model-speed' (default), 'onnx-speed', 'onnx-parity', 'scoring-speed', 'soak', 'train-speed', 'bf16', 'engine-speed', 'multi-label' or 'micro' (BenchmarkDotNet).");
root.Subcommands.Add(new ModelSpeedCommand());
root.Subcommands.Add(new OnnxSpeedCommand());
root.Subcommands.Add(new OnnxParityCommand());
root.Subcommands.Add(new ScoringSpeedCommand());
root.Subcommands.Add(new SoakCommand());
root.Subcommands.Add(new TrainSpeedCommand());
root.Subcommands.Add(new Bf16Command());
root.Subcommands.Add(new EngineSpeedCommand());
root.Subcommands.Add(new MultiLabelBenchCommand());
if (args.Length == 0 || args[0].StartsWith('-') && args[0] is not ("-h" or "--help" or "-?")) args = ["model-speed", .. args];
return root.Parse(args).Invoke();

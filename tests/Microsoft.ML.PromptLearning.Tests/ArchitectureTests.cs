using System.Reflection;
using System.Reflection.Emit;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace Microsoft.ML.PromptLearning.Tests;

/// <summary>
/// The folder import rule of docs/architecture.md, checked on the compiled library: every type is placed in the folder of
/// its source file, and everything it references (base types, fields, signatures, locals and the members its method bodies
/// call, read from the IL) must come from the same folder or one that its folder may import. The allowed directions form
/// no loop; only the ML.NET layer (and the ML.NET-shaped data and evaluation helpers) touch ML.NET types, and only it and
/// Onnx/ touch ONNX types.
/// </summary>
public sealed class ArchitectureTests(ITestOutputHelper output)
{
    /// <summary>Folder → the folders its code may use (besides itself). Keep in step with docs/architecture.md.</summary>
    internal static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["IO"] = [],
        ["Tokenization"] = [],
        ["Torch"] = [],
        ["MultiLabel"] = [],
        ["Data"] = ["MultiLabel"],
        ["Evaluation"] = [],
        ["Ernie"] = ["IO", "Tokenization", "Torch"],
        ["Inference"] = ["Ernie", "Tokenization"],
        ["SelfTraining"] = ["Inference"],
        ["Prompting"] = ["Inference", "Ernie", "IO", "Tokenization", "Torch"],
        ["FineTuning"] = ["Inference", "Ernie", "Torch"],
        ["Training"] = ["Inference", "IO", "MultiLabel"],
        ["Pretraining"] = ["Training", "Ernie", "IO", "Tokenization"],
        ["Onnx"] = ["Prompting", "FineTuning", "Inference", "Ernie", "Tokenization", "MultiLabel"],
        ["MLNet"] = ["Onnx", "Training", "Prompting", "FineTuning", "SelfTraining", "Inference", "Ernie", "IO", "Tokenization", "Torch", "MultiLabel"],
    };

    /// <summary>Folders whose code may use ML.NET types (IDataView, IHost, model load/save contexts, ...).</summary>
    private static readonly HashSet<string> MayUseMlNet = ["MLNet", "Data", "Evaluation"];

    /// <summary>Folders whose code may use ONNX Runtime or the ONNX protobuf types.</summary>
    private static readonly HashSet<string> MayUseOnnx = ["MLNet", "Onnx"];

    private static readonly Assembly Library = typeof(PromptErnieTrainer).Assembly;

    [Fact]
    public void AllowedDirectionsFormNoLoop()
    {
        Assert.Equal(Allowed.Keys.Order(), SourceFolders().Order());
        Assert.Empty(Loop(Allowed.ToDictionary(kv => kv.Key, kv => (IEnumerable<string>)kv.Value)));
    }

    [Fact]
    public void FoldersImportOnlyInAllowedDirections()
    {
        var folders = FolderOfEveryType();
        var edges = new SortedDictionary<string, SortedSet<string>>();
        var violations = new List<string>();
        foreach (var type in Library.GetTypes())
        {
            var from = FolderOf(Outermost(type), folders);
            if (from is null) continue;
            if (!Allowed.ContainsKey(from))
            {
                violations.Add($"{Name(type)} is in '{from}/', a folder the import rule does not name");
                continue;
            }
            foreach (var referenced in References(type))
            {
                var kind = Kind(referenced, folders, out var to);
                if (kind == RefKind.Library && to != from)
                {
                    if (!edges.TryGetValue(from, out var set)) edges[from] = set = [];
                    set.Add(to);
                    if (!Allowed[from].Contains(to)) violations.Add($"{from} → {to}: {Name(type)} uses {Name(referenced)}");
                }
                else if (kind == RefKind.MlNet && !MayUseMlNet.Contains(from)) violations.Add($"{from} → ML.NET: {Name(type)} uses {Name(referenced)}");
                else if (kind == RefKind.Onnx && !MayUseOnnx.Contains(from)) violations.Add($"{from} → ONNX: {Name(type)} uses {Name(referenced)}");
            }
        }
        foreach (var (from, to) in edges) output.WriteLine($"{from} → {string.Join(", ", to)}");
        Assert.True(violations.Count == 0, "Imports against docs/architecture.md:\n" + string.Join("\n", violations.Distinct().Order().Take(40)));
        Assert.Empty(Loop(edges.ToDictionary(kv => kv.Key, kv => (IEnumerable<string>)kv.Value)));
        // the check sees real references: the ML.NET layer reaches the inference core, training and ONNX export
        Assert.Contains("Inference", edges["MLNet"]);
        Assert.Contains("Training", edges["MLNet"]);
        Assert.Contains("Onnx", edges["MLNet"]);
    }

    [Fact]
    public void TheCheckFindsAForbiddenImport()
    {
        // Training must not reach the ML.NET layer; a reference from a Training type to an MLNet type is reported.
        var folders = FolderOfEveryType();
        Assert.Equal("Training", FolderOf(typeof(PromptLearning.Training.TrainingSettings), folders));
        Assert.Equal(RefKind.Library, Kind(typeof(PromptLearning.MLNet.TrainerCore), folders, out var to));
        Assert.Equal("MLNet", to);
        Assert.DoesNotContain(to, Allowed["Training"]);
        Assert.Equal(RefKind.MlNet, Kind(typeof(Microsoft.ML.Runtime.IHost), folders, out _));
        Assert.Equal(RefKind.Onnx, Kind(typeof(Microsoft.ML.OnnxRuntime.InferenceSession), folders, out _));
        Assert.Contains(References(typeof(PromptLearning.MLNet.TrainerCore)), t => t == typeof(PromptLearning.Training.ClassifierTrainingLoop));   // found in a method body
    }

    // ---- type → folder, from the source files ------------------------------------------------------------------------

    private static string SourceRoot => Path.Combine(TestPaths.RepoRoot, "src", "Microsoft.ML.PromptLearning");

    private static IEnumerable<string> SourceFolders() =>
        Directory.GetDirectories(SourceRoot).Select(Path.GetFileName).Where(d => d is not ("bin" or "obj" or "Properties" or "buildTransitive"))
            .Where(d => Directory.EnumerateFiles(Path.Combine(SourceRoot, d), "*.cs", SearchOption.AllDirectories).Any());

    private static readonly Regex NamespaceLine = new(@"^namespace\s+([\w.]+)", RegexOptions.Multiline);
    private static readonly Regex TypeLine = new(
        @"^(?<indent>[ ]*)(?:\[[^\]]*\]\s*)*(?:(?:public|internal|private|protected|file|static|sealed|abstract|partial|readonly|ref|unsafe)\s+)*(?:class|struct|interface|enum|record(?:\s+struct|\s+class)?)\s+(?<name>\w+)(?<generic><[^>]*>)?",
        RegexOptions.Multiline);

    /// <summary>"Namespace.Name`arity" of every top-level type declared under src/Microsoft.ML.PromptLearning → its folder (the first path segment; "" for the project root).</summary>
    internal static Dictionary<string, string> FolderOfEveryType()
    {
        var map = new Dictionary<string, string>();
        foreach (var file in Directory.EnumerateFiles(SourceRoot, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(SourceRoot, file).Replace('\\', '/');
            if (relative.StartsWith("bin/") || relative.StartsWith("obj/") || relative.StartsWith("Properties/")) continue;
            var folder = relative.Contains('/') ? relative[..relative.IndexOf('/')] : "";
            var text = File.ReadAllText(file);
            var ns = NamespaceLine.Match(text);
            if (!ns.Success) continue;
            bool fileScoped = text.Contains($"namespace {ns.Groups[1].Value};");
            foreach (Match m in TypeLine.Matches(text))
            {
                if (m.Groups["indent"].Length != (fileScoped ? 0 : 4)) continue;
                int arity = m.Groups["generic"].Success ? m.Groups["generic"].Value.Count(c => c == ',') + 1 : 0;
                var key = $"{ns.Groups[1].Value}.{m.Groups["name"].Value}{(arity > 0 ? "`" + arity : "")}";
                if (map.TryGetValue(key, out var other) && other != folder)
                    throw new InvalidOperationException($"{key} is declared in two folders ({other}/ and {folder}/); keep a type in one folder.");
                map[key] = folder;
            }
        }
        return map;
    }

    private static string FolderOf(Type type, Dictionary<string, string> folders) =>
        type.FullName is { } name && folders.TryGetValue(name, out var folder) ? folder : null;

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is not null) type = type.DeclaringType;
        return type;
    }

    internal enum RefKind { Other, Library, MlNet, Onnx }

    private static RefKind Kind(Type type, Dictionary<string, string> folders, out string folder)
    {
        folder = null;
        if (type.Assembly == Library)
        {
            folder = FolderOf(Outermost(type), folders);
            return folder is null ? RefKind.Other : RefKind.Library;   // compiler-generated helpers have no source file
        }
        var assembly = type.Assembly.GetName().Name ?? "";
        if (assembly is "Microsoft.ML.OnnxRuntime" or "Microsoft.ML.OnnxTransformer" or "Google.Protobuf") return RefKind.Onnx;
        if (assembly.StartsWith("Microsoft.ML") && assembly != "Microsoft.ML.Tokenizers") return RefKind.MlNet;
        return RefKind.Other;
    }

    private static string Name(Type t) => t.FullName ?? t.Name;

    // ---- what a type references --------------------------------------------------------------------------------------

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    /// <summary>Types named by <paramref name="type"/>'s base type, interfaces, fields, properties, method signatures, locals and method bodies.</summary>
    internal static HashSet<Type> References(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type t)
        {
            if (t is null || t.IsGenericParameter) return;
            if (t.HasElementType) { Add(t.GetElementType()); return; }
            if (t.IsGenericType && !t.IsGenericTypeDefinition)
            {
                Add(t.GetGenericTypeDefinition());
                foreach (var a in t.GetGenericArguments()) Add(a);
                return;
            }
            found.Add(t);
        }
        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        foreach (var f in type.GetFields(All)) Add(f.FieldType);
        foreach (var p in type.GetProperties(All)) Add(p.PropertyType);
        foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (method is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in method.GetParameters()) Add(p.ParameterType);
            MethodBody body;
            try { body = method.GetMethodBody(); }
            catch (Exception) { continue; }
            if (body is null) continue;
            foreach (var local in body.LocalVariables) Add(local.LocalType);
            foreach (var member in BodyMembers(method, body.GetILAsByteArray()))
            {
                switch (member)
                {
                    case Type t: Add(t); break;
                    case FieldInfo f: Add(f.DeclaringType); Add(f.FieldType); break;
                    case MethodBase m:
                        Add(m.DeclaringType);
                        if (m is MethodInfo { IsGenericMethod: true } g) foreach (var a in g.GetGenericArguments()) Add(a);
                        break;
                }
            }
        }
        found.Remove(type);
        return found;
    }

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)).ToDictionary(o => o.Value);

    /// <summary>The types, fields and methods whose tokens appear in a method body.</summary>
    private static IEnumerable<MemberInfo> BodyMembers(MethodBase method, byte[] il)
    {
        var module = method.Module;
        var typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineMethod:
                case OperandType.InlineField:
                case OperandType.InlineType:
                case OperandType.InlineTok:
                    MemberInfo member = null;
                    try { member = module.ResolveMember(BitConverter.ToInt32(il, i), typeArgs, methodArgs); }
                    catch (Exception e) when (e is ArgumentException or BadImageFormatException or TypeLoadException) { }
                    if (member is not null) yield return member;
                    i += 4;
                    break;
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar: i += 1; break;
                case OperandType.InlineVar: i += 2; break;
                case OperandType.InlineI8:
                case OperandType.InlineR: i += 8; break;
                case OperandType.InlineSwitch: i += 4 + 4 * BitConverter.ToInt32(il, i); break;
                default: i += 4; break;   // InlineBrTarget, InlineI, InlineSig, InlineString, ShortInlineR
            }
        }
    }

    /// <summary>A cycle in <paramref name="graph"/> as its folders in order, or empty when there is none.</summary>
    internal static List<string> Loop(Dictionary<string, IEnumerable<string>> graph)
    {
        var state = new Dictionary<string, int>();   // 1 = on the current path, 2 = done
        var path = new List<string>();
        List<string> Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in graph.GetValueOrDefault(node) ?? [])
            {
                if (state.GetValueOrDefault(next) == 1) return [.. path.Skip(path.IndexOf(next)), next];
                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { Count: > 0 } loop) return loop;
            }
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return [];
        }
        foreach (var node in graph.Keys)
            if (state.GetValueOrDefault(node) == 0 && Visit(node) is { Count: > 0 } loop) return loop;
        return [];
    }

    [Fact]
    public void LoopFinderFindsALoop()
    {
        Assert.Equal(["A", "B", "C", "A"], Loop(new() { ["A"] = ["B"], ["B"] = ["C"], ["C"] = ["A"] }));
        Assert.Empty(Loop(new() { ["A"] = ["B", "C"], ["B"] = ["C"], ["C"] = [] }));
    }
}

using System.Reflection;
using Mono.Cecil;

namespace Microsoft.ML.PromptLearning.Tests.MLNet;

/// <summary>
/// The library compiles against publicized copies of Microsoft.ML.Core and Microsoft.ML.Data (model persistence is internal
/// in ML.NET). Internal members may change between ML.NET releases without notice, so this test resolves every ML.NET type
/// and member the library's IL refers to against the ML.NET assemblies this test runs with, and names each one that is gone.
/// Run it after changing the ML.NET version in Directory.Packages.props (and before widening the supported range in the
/// library's project file, MlNetSupportedRange).
/// </summary>
public class MlNetInternalsTests
{
    private static readonly string[] MlNetAssemblies = { "Microsoft.ML.Core", "Microsoft.ML.Data" };

    [Fact]
    public void EveryMlNetMemberTheLibraryUsesExistsInTheMlNetItRunsWith()
    {
        var library = typeof(PromptErnieTrainer).Assembly.Location;
        var mlnetVersion = typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
        using var resolver = new DefaultAssemblyResolver();
        resolver.AddSearchDirectory(Path.GetDirectoryName(library));
        resolver.AddSearchDirectory(Path.GetDirectoryName(typeof(object).Assembly.Location));
        using var module = ModuleDefinition.ReadModule(library, new ReaderParameters { AssemblyResolver = resolver });

        var missing = new List<string>();
        int used = 0, internalUsed = 0;
        foreach (var type in module.GetTypeReferences().Where(t => IsMlNet(t.Scope)))
        {
            used++;
            var resolved = Try(type.Resolve);
            if (resolved is null) missing.Add("type " + type.FullName);
            else if (!resolved.IsPublic && !resolved.IsNestedPublic) internalUsed++;
        }
        foreach (var member in module.GetMemberReferences().Where(m => IsMlNet(m.DeclaringType.GetElementType().Scope)))
        {
            used++;
            var resolved = Try(member.Resolve);
            if (resolved is null) missing.Add(member.FullName);
            else if (resolved is MethodDefinition { IsPublic: false } or FieldDefinition { IsPublic: false }) internalUsed++;
        }

        Assert.True(missing.Count == 0,
            $"Microsoft.ML {mlnetVersion} lacks {missing.Count} of the {used} ML.NET types and members that Microsoft.ML.PromptLearning " +
            "was compiled against (through the publicized ML.NET assemblies, see tools/Publicize). This ML.NET version is not " +
            "supported: keep the previous version, or port the model persistence code (MLNet/, the transformers' Save/Create) to it. Missing:\n  " +
            string.Join("\n  ", missing.Distinct().OrderBy(s => s)));
        Assert.True(internalUsed > 0, "expected the library to use ML.NET internals (model persistence); has the publicized route been removed?");

        // An override of an internal abstract member that ML.NET renamed would surface as a type-load failure instead.
        var loadErrors = Record.Exception(() => typeof(PromptErnieTrainer).Assembly.GetTypes());
        Assert.True(loadErrors is null, $"Microsoft.ML.PromptLearning's types do not load with Microsoft.ML {mlnetVersion}: {(loadErrors as ReflectionTypeLoadException)?.LoaderExceptions.FirstOrDefault()?.Message ?? loadErrors?.Message}");
    }

    private static bool IsMlNet(IMetadataScope scope) =>
        scope is AssemblyNameReference a && MlNetAssemblies.Contains(a.Name);

    private static T Try<T>(Func<T> resolve) where T : class
    {
        try { return resolve(); }
        catch (AssemblyResolutionException) { return null; }
    }
}

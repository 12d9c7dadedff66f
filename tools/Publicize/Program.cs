// Copies an assembly with every type, method and field made public. The copy is only a compile-time
// reference: at run time the real signed assembly loads, and [assembly: IgnoresAccessChecksTo(...)] in the
// consuming assembly tells the runtime to skip access checks.
using Mono.Cecil;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Publicize <in.dll> <out.dll>");
    return 2;
}
var resolver = new DefaultAssemblyResolver();
resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(args[0]))!);
using (var asm = AssemblyDefinition.ReadAssembly(args[0], new ReaderParameters { AssemblyResolver = resolver }))
{
    foreach (var type in asm.MainModule.GetTypes())
    {
        if (type.Name == "<Module>") continue;
        if (type.IsNested) type.IsNestedPublic = true; else type.IsPublic = true;
        foreach (var method in type.Methods)
            if (!method.IsPublic) method.IsPublic = true;
        foreach (var field in type.Fields)
        {
            // Compiler-generated backing fields and event fields stay private: they would clash with their properties/events.
            if (field.Name.Contains('<') || type.Events.Any(e => e.Name == field.Name)) continue;
            if (!field.IsPublic) field.IsPublic = true;
        }
    }
    asm.MainModule.Attributes &= ~ModuleAttributes.StrongNameSigned;
    var tmp = args[1] + ".tmp";
    asm.Write(tmp);
    File.Move(tmp, args[1], overwrite: true);
}
Console.WriteLine($"publicized {Path.GetFileName(args[0])} -> {args[1]}");
return 0;

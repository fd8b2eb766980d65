using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace OnloadTools.Tests;

[AttributeUsage(AttributeTargets.Assembly)]
public sealed class ModuleDirectoryAttribute(string path) : Attribute
{
    public string Path { get; } = path;
}

[AttributeUsage(AttributeTargets.Assembly)]
public sealed class RepoRootAttribute(string path) : Attribute
{
    public string Path { get; } = path;
}

/// <summary>Where the assembled module, the fixtures and the test doubles are.</summary>
public static class TestPaths
{
    public static string ModuleDirectory { get; } =
        typeof(TestPaths).Assembly.GetCustomAttribute<ModuleDirectoryAttribute>()!.Path;

    public static string RepoRoot { get; } =
        typeof(TestPaths).Assembly.GetCustomAttribute<RepoRootAttribute>()!.Path;

    public static string ModuleManifest => Path.Combine(ModuleDirectory, "OnloadTools.psd1");
    public static string Fixtures => Path.Combine(RepoRoot, "tests", "fixtures");
    public static string Doubles => Path.Combine(Fixtures, "bin");

    public static string Fixture(params string[] parts) => Path.Combine(new[] { Fixtures }.Concat(parts).ToArray());
    public static string ReadFixture(params string[] parts) => File.ReadAllText(Fixture(parts));

    /// <summary>Loads OnloadTools.dll and CliWrap.dll from the module folder, the one copy the engine also uses.</summary>
    [ModuleInitializer]
    internal static void ResolveFromModuleFolder()
    {
        AssemblyLoadContext.Default.Resolving += (context, name) =>
        {
            string candidate = System.IO.Path.Combine(ModuleDirectory, name.Name + ".dll");
            return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
        };
    }
}

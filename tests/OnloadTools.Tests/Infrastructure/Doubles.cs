namespace OnloadTools.Tests;

/// <summary>
/// Puts the test doubles of hardware tools (tests/fixtures/bin: onload, sfboot, sfupdate, grubby …) first on PATH
/// for the duration of a test. Tests that change PATH are in the "Environment" collection (not run in parallel).
/// </summary>
public sealed class DoublesOnPath : IDisposable
{
    private readonly string? _oldPath;
    private readonly Dictionary<string, string?> _oldVars = new();

    public DoublesOnPath(string? stateDirectory = null, params string[] extraDirectories)
    {
        _oldPath = Environment.GetEnvironmentVariable("PATH");
        StateDirectory = stateDirectory ?? Directory.CreateTempSubdirectory("onloadtools-state-").FullName;
        string dirs = string.Join(':', extraDirectories.Append(TestPaths.Doubles));
        Environment.SetEnvironmentVariable("PATH", dirs + ":" + _oldPath);
        Set("ONLOADTOOLS_DOUBLE_STATE", StateDirectory);
    }

    public string StateDirectory { get; }

    public void Set(string name, string? value)
    {
        if (!_oldVars.ContainsKey(name)) _oldVars[name] = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
    }

    public void Dispose()
    {
        // Variables first, PATH last: a test that Set("PATH", …) recorded the doubles' PATH as its "old" value,
        // and restoring that after PATH would leave the doubles on PATH for every later test.
        foreach (var (k, v) in _oldVars) Environment.SetEnvironmentVariable(k, v);
        Environment.SetEnvironmentVariable("PATH", _oldPath);
        try { Directory.Delete(StateDirectory, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition("Environment", DisableParallelization = true)]
public sealed class EnvironmentCollection { }

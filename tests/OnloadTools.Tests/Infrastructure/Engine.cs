using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Runspaces;

namespace OnloadTools.Tests;

/// <summary>
/// A real PowerShell 7.6 engine (System.Management.Automation) with the built module folder imported,
/// for running pipelines the way an admin writes them.
/// </summary>
public sealed class PowerShellEngine : IDisposable
{
    private readonly Runspace _runspace;

    public PowerShellEngine(IDictionary<string, string>? environment = null) : this(null, environment) { }

    /// <summary>An engine whose console is <paramref name="host"/> (null: the default host).</summary>
    public PowerShellEngine(PSHost? host, IDictionary<string, string>? environment = null)
    {
        var iss = InitialSessionState.CreateDefault2();
        iss.ImportPSModule(new[] { TestPaths.ModuleManifest });
        _runspace = host is null ? RunspaceFactory.CreateRunspace(iss) : RunspaceFactory.CreateRunspace(host, iss);
        _runspace.Open();
        if (environment is not null)
        {
            foreach (var (k, v) in environment) Environment.SetEnvironmentVariable(k, v);
        }
    }

    public Runspace Runspace => _runspace;

    public sealed class Result
    {
        public required Collection<PSObject> Output { get; init; }
        public required IReadOnlyList<ErrorRecord> Errors { get; init; }
        public required IReadOnlyList<WarningRecord> Warnings { get; init; }
        public required IReadOnlyList<ProgressRecord> Progress { get; init; }
        public required IReadOnlyList<VerboseRecord> Verbose { get; init; }
        public RuntimeException? Terminating { get; init; }

        /// <summary>
        /// The one error of the script: a cmdlet's ThrowTerminatingError (and a parameter binding failure) stops its
        /// statement and lands in the error stream; a script-terminating error is in <see cref="Terminating"/>.
        /// </summary>
        public ErrorRecord SingleError =>
            Terminating?.ErrorRecord ?? (Errors.Count == 1 ? Errors[0] : throw new InvalidOperationException(
                $"expected one error, got {Errors.Count}: " + string.Join(" | ", Errors.Select(e => e.FullyQualifiedErrorId))));
    }

    /// <summary>Runs a script; a terminating error is captured, not thrown.</summary>
    public Result Run(string script, params (string Name, object? Value)[] variables)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        foreach (var (name, value) in variables) _runspace.SessionStateProxy.SetVariable(name, value);
        ps.AddScript(script);
        Collection<PSObject> output = new();
        RuntimeException? terminating = null;
        try
        {
            output = ps.Invoke();
        }
        catch (RuntimeException e)
        {
            terminating = e;
        }
        return new Result
        {
            Output = output,
            Errors = ps.Streams.Error.ToList(),
            Warnings = ps.Streams.Warning.ToList(),
            Progress = ps.Streams.Progress.ToList(),
            Verbose = ps.Streams.Verbose.ToList(),
            Terminating = terminating,
        };
    }

    public void Dispose() => _runspace.Dispose();
}

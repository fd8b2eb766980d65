using System.Management.Automation;
using OnloadTools.Containers;
using OnloadTools.Onload;
using OnloadTools.Processes;

namespace OnloadTools.Commands;

/// <summary>
/// Shared base of the container cmdlets: the -Engine parameter (podman or docker, detected when omitted; piped
/// OnloadImage/OnloadContainer objects bring theirs) and validation of names before anything runs. Container failures
/// flow to the one error table of <see cref="OnloadCmdlet"/>.
/// </summary>
public abstract class ContainerCmdlet : OnloadCmdlet
{
    private readonly Dictionary<string, ContainerService> _services = new(StringComparer.Ordinal);
    private string? _hostOnloadVersion;
    private bool _hostOnloadVersionRead;

    /// <summary>podman or docker. Default: podman when installed, else docker.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateContainerEngine]
    [ArgumentCompleter(typeof(ContainerEngineCompleter))]
    public string? Engine { get; set; }

    /// <summary>The service for the engine asked for (or detected). No engine installed: NotInstalled, through the funnel.</summary>
    private protected ContainerService Service
    {
        get
        {
            string key = Engine?.ToLowerInvariant() ?? "";
            if (_services.TryGetValue(key, out var s)) return s;
            s = new ContainerService(Runner, HostFs, ContainerEngine.Resolve(Runner, Engine));
            _services[key] = s;
            return s;
        }
    }

    /// <summary>The engine name the next call will use, without resolving it (for validation rules).</summary>
    private protected string EngineNameHint => ContainerEngine.Choose(Runner, Engine) ?? ContainerEngine.Podman;

    /// <summary>The host's Onload version (`onload --version`), read once per invocation; null without Onload.</summary>
    private protected string? HostOnloadVersion
    {
        get
        {
            if (!_hostOnloadVersionRead)
            {
                _hostOnloadVersion = Await(OnloadVersionQuery.HostVersionAsync(Runner, Cancellation));
                _hostOnloadVersionRead = true;
            }
            return _hostOnloadVersion;
        }
    }

    /// <summary>Terminates with InvalidArgument when the engine would reject the image reference.</summary>
    private protected void ValidateImage(string? reference, string parameter, bool forNewTag = false)
    {
        string? problem = ContainerNames.ImageReferenceProblem(reference, allowDigest: !forNewTag, allowId: !forNewTag);
        if (problem is not null)
        {
            ThrowTerminatingError(Error(new ArgumentException(problem, parameter), forNewTag ? ErrorIds.InvalidImageTag : ErrorIds.InvalidImageName,
                ErrorCategory.InvalidArgument, reference));
        }
    }

    /// <summary>Terminates with InvalidArgument when the engine would reject the container name.</summary>
    private protected void ValidateContainerName(string? name, string parameter)
    {
        string? problem = ContainerNames.ContainerNameProblem(name, EngineNameHint);
        if (problem is not null)
        {
            ThrowTerminatingError(Error(new ArgumentException(problem, parameter), ErrorIds.InvalidContainerName, ErrorCategory.InvalidArgument, name));
        }
    }

    /// <summary>Splits -Name values into literal names (validated, so a bad one is refused before anything runs) and wildcard patterns.</summary>
    private protected static (List<string> Literal, List<WildcardPattern> Patterns) SplitNames(string[]? names, Action<string> validate)
    {
        var literal = new List<string>();
        var patterns = new List<WildcardPattern>();
        foreach (string n in names ?? Array.Empty<string>())
        {
            if (WildcardPattern.ContainsWildcardCharacters(n)) patterns.Add(new WildcardPattern(n, WildcardOptions.IgnoreCase));
            else
            {
                validate(n);
                literal.Add(n);
            }
        }
        return (literal, patterns);
    }

    /// <summary>Runs a domain call on the pipeline thread; Ctrl+C stops the pipeline (and kills the engine process).
    /// <paramref name="target"/> becomes the <see cref="OnloadCmdlet.ErrorTarget"/> of a failure that ends the command.</summary>
    private protected T Run<T>(Func<CancellationToken, Task<T>> call, object? target, Action? tick = null)
    {
        ErrorTarget = target;
        return Await(call(Cancellation), tick);
    }

    private protected void Run(Func<CancellationToken, Task> call, object? target, Action? tick = null) =>
        Run<bool>(async ct => { await call(ct).ConfigureAwait(false); return true; }, target, tick);
}

using OnloadTools.Processes;

namespace OnloadTools.Containers;

/// <summary>The container engine CLI the module drives: podman (RHEL's engine) or docker. Both take the same arguments for everything used here.</summary>
internal sealed class ContainerEngine
{
    public const string Podman = "podman";
    public const string Docker = "docker";
    public static readonly string[] Names = { Podman, Docker };

    private ContainerEngine(string name, string path)
    {
        Name = name;
        Path = path;
    }

    /// <summary>podman or docker: the tool name every command is run with.</summary>
    public string Name { get; }
    /// <summary>Where it was found on PATH.</summary>
    public string Path { get; }
    public bool IsDocker => Name == Docker;

    /// <summary>
    /// The engine asked for, or the first of podman and docker found on PATH. Nothing is run.
    /// </summary>
    /// <exception cref="ToolNotFoundException">The engine asked for is not on PATH.</exception>
    /// <exception cref="ContainerEngineNotFoundException">Neither engine is on PATH.</exception>
    public static ContainerEngine Resolve(IToolRunner runner, string? requested)
    {
        if (requested is { Length: > 0 })
        {
            string name = Choose(runner, requested)!;
            if (!Names.Contains(name)) throw new ArgumentException($"Unknown container engine '{requested}'; use podman or docker.", nameof(requested));
            string? path = runner.Which(name) ?? throw new ToolNotFoundException(name);
            return new ContainerEngine(name, path);
        }
        foreach (string name in Names)
        {
            if (runner.Which(name) is { } path) return new ContainerEngine(name, path);
        }
        throw new ContainerEngineNotFoundException();
    }

    /// <summary>
    /// Names the engine lists with <paramref name="listArguments"/> (images --format …, ps --all --format …), sorted,
    /// without "&lt;none&gt;" entries, for tab completion: within 5 s, and empty when there is no engine or it fails.
    /// </summary>
    public static IReadOnlyList<string> ListNames(IToolRunner runner, string? requested, params string[] listArguments)
    {
        try
        {
            var engine = Resolve(runner, requested);
            var r = runner.RunAsync(engine.Command(listArguments), TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
            if (!r.Succeeded) return Array.Empty<string>();
            return r.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(n => !n.Contains("<none>", StringComparison.Ordinal)).Distinct().Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is ToolNotFoundException or ContainerEngineNotFoundException or ToolTimeoutException or ArgumentException or InvalidOperationException)
        {
            return Array.Empty<string>();
        }
    }

    /// <summary>
    /// The one rule for which engine a command uses, without running anything: the engine asked for (any case:
    /// "Podman" is podman), else the first of podman and docker on PATH; null when none is asked for and none is
    /// installed. Every engine choice of the module (container cmdlets, Test-OnloadHost) asks here.
    /// </summary>
    public static string? Choose(IToolRunner runner, string? requested)
    {
        if (requested is { Length: > 0 }) return requested.ToLowerInvariant();
        return Names.FirstOrDefault(n => runner.Which(n) is not null);
    }

    /// <summary>The arguments that remove a container at once: podman's rm would otherwise give a container it stops up to
    /// 10 s to end (--time 0 kills it now); docker's rm --force kills at once already.</summary>
    public string[] RemoveNowArguments(string name) => IsDocker ? new[] { "rm", "--force", name } : new[] { "rm", "--force", "--time", "0", name };

    public ToolCommand Command(params string[] arguments) => new(Name, arguments);
    public ToolCommand Command(IEnumerable<string> arguments) => new(Name, arguments);

    public override string ToString() => Name;
}

/// <summary>Neither podman nor docker is installed.</summary>
internal sealed class ContainerEngineNotFoundException : Exception
{
    public ContainerEngineNotFoundException()
        : base("No container engine was found: neither 'podman' nor 'docker' is on PATH. " +
               "Install podman with 'dnf install podman' (RHEL's engine), or Docker Engine, or choose one with -Engine.")
    {
    }
}

/// <summary>The engine ran but its daemon or service cannot be reached (docker without dockerd).</summary>
internal sealed class ContainerEngineUnavailableException : Exception
{
    public ContainerEngineUnavailableException(ToolResult result)
        : base($"The {System.IO.Path.GetFileName(result.ExecutablePath)} engine is not available: {result.Describe()}")
    {
        Result = result;
    }

    public ToolResult Result { get; }
}

/// <summary>An image or container the engine does not know.</summary>
internal sealed class ContainerObjectNotFoundException : Exception
{
    public ContainerObjectNotFoundException(string kind, string name, ToolResult? result = null)
        : base($"No {kind} named '{name}' was found" + (result is null ? "." : $": {result.Describe()}"))
    {
        Kind = kind;
        Name = name;
        Result = result;
    }

    public string Kind { get; }
    public string Name { get; }
    public ToolResult? Result { get; }
}

using OnloadTools.Processes;

namespace OnloadTools.Containers;

/// <summary>A container named on the command line or piped in (an OnloadContainer, live or deserialized): where to exec.</summary>
public sealed class ContainerReference
{
    public ContainerReference(string name, string? engine = null)
    {
        Name = name;
        Engine = engine;
    }

    public string Name { get; }
    /// <summary>The engine that runs it, when the object said so; otherwise podman or docker is detected.</summary>
    public string? Engine { get; }

    /// <summary>The prefix that runs a command inside the container: [engine, "exec", name].</summary>
    /// <exception cref="ArgumentException">The name is not a container name (it could be read as an option: --privileged).</exception>
    internal IReadOnlyList<string> ExecPrefix(IToolRunner runner)
    {
        string engine = ContainerEngine.Choose(runner, Engine) ?? ContainerEngine.Podman;
        if (ContainerNames.ContainerNameProblem(Name, ContainerEngine.Podman) is { } problem) throw new ArgumentException(problem, nameof(Name));
        return new[] { engine, "exec", Name };
    }

    /// <summary>How a run measured from inside it is labelled ("container:NAME").</summary>
    public string Location => "container:" + Name;

    public override string ToString() => Name;
}

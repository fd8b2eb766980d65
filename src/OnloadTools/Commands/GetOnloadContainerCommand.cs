using System.Management.Automation;
using OnloadTools.Containers;

namespace OnloadTools.Commands;

/// <summary>Get-OnloadContainer: containers of Onload images (or the ones named), running or not.</summary>
[Cmdlet(VerbsCommon.Get, "OnloadContainer")]
[OutputType(typeof(OnloadContainer))]
public sealed class GetOnloadContainerCommand : ContainerCmdlet
{
    /// <summary>Container names or ids (wildcards match containers of Onload images). Default: every container whose image has an org.openonload.version label.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(OnloadContainerNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Only running containers.</summary>
    [Parameter]
    public SwitchParameter Running { get; set; }

    protected override void Process()
    {
        var (literal, patterns) = SplitNames(Name, n => ValidateContainerName(n, nameof(Name)));

        ContainerService service = Service;
        foreach (string n in literal)
        {
            if (TryItem(() => Run(ct => service.InspectContainerAsync(n, ct), n), n, out var c) && (!Running || c.Running))
                WriteObject(ContainerResults.Container(c, service.Engine.Name));
        }

        if (Name is not null && patterns.Count == 0) return;
        ErrorTarget = service.Engine.Name;
        IReadOnlyList<string> ids = Run(ct => service.ListOnloadContainerIdsAsync(ct), null);
        foreach (string id in ids)
        {
            if (!TryItem(() => InspectIfPresent(service, id), id, out var c) || c is null) continue;
            if (Running && !c.Running) continue;
            if (patterns.Count > 0 && !patterns.Any(p => p.IsMatch(c.Name))) continue;
            WriteObject(ContainerResults.Container(c, service.Engine.Name));
        }
    }

    /// <summary>A listed container, or null when it was removed since the listing.</summary>
    private ContainerInspect? InspectIfPresent(ContainerService service, string id)
    {
        try
        {
            return Run(ct => service.InspectContainerAsync(id, ct), id);
        }
        catch (ContainerObjectNotFoundException)
        {
            return null;
        }
    }
}

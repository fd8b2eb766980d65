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
            TryItem(() =>
            {
                var c = Run(ct => service.InspectContainerAsync(n, ct), n);
                if (!Running || c.Running) WriteObject(ContainerResults.Container(c, service.Engine.Name));
            }, n);
        }

        if (Name is not null && patterns.Count == 0) return;
        foreach (string id in Run(ct => service.ListOnloadContainerIdsAsync(ct), service.Engine.Name))
        {
            // A container removed since the listing is skipped; any other failure is that container's error.
            if (!TryItem(() => Run(ct => service.FindContainerAsync(id, ct), id), id, out ContainerInspect? c) || c is null) continue;
            if (Running && !c.Running) continue;
            if (patterns.Count > 0 && !patterns.Any(p => p.IsMatch(c.Name))) continue;
            WriteObject(ContainerResults.Container(c, service.Engine.Name));
        }
    }
}

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

    protected override void ProcessRecord()
    {
        var (literal, patterns) = SplitNames(Name, n => ValidateContainerName(n, nameof(Name)));

        ContainerService service = Service;
        foreach (string n in literal)
        {
            try
            {
                var c = Run(ct => service.InspectContainerAsync(n, ct), n);
                if (!Running || c.Running) WriteObject(ContainerResults.Container(c, service.Engine.Name));
            }
            catch (Exception e) when (IsReportable(e))
            {
                WriteError(ContainerError(e, n));
            }
        }

        if (Name is not null && patterns.Count == 0) return;
        IReadOnlyList<string> ids;
        try
        {
            ids = Run(ct => service.ListOnloadContainerIdsAsync(ct), null);
        }
        catch (Exception e) when (IsReportable(e))
        {
            ThrowTerminatingError(ContainerError(e, service.Engine.Name));
            return;
        }
        foreach (string id in ids)
        {
            ContainerInspect c;
            try { c = Run(ct => service.InspectContainerAsync(id, ct), id); }
            catch (ContainerObjectNotFoundException) { continue; } // removed meanwhile
            catch (Exception e) when (IsReportable(e)) { WriteError(ContainerError(e, id)); continue; }
            if (Running && !c.Running) continue;
            if (patterns.Count > 0 && !patterns.Any(p => p.IsMatch(c.Name))) continue;
            WriteObject(ContainerResults.Container(c, service.Engine.Name));
        }
    }
}

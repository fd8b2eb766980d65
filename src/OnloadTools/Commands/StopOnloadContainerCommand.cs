using System.Globalization;
using System.Management.Automation;
using OnloadTools.Containers;

namespace OnloadTools.Commands;

/// <summary>Stop-OnloadContainer: stops containers (engine stop), and removes them with -Remove.</summary>
[Cmdlet(VerbsLifecycle.Stop, "OnloadContainer", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(OnloadContainer))]
public sealed class StopOnloadContainerCommand : ContainerCmdlet
{
    /// <summary>Container names or ids, or OnloadContainer objects piped in.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Id")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(OnloadContainerNameCompleter))]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <summary>Also removes the container once stopped.</summary>
    [Parameter]
    public SwitchParameter Remove { get; set; }

    /// <summary>Seconds the container gets to exit after SIGTERM before it is killed (engine stop -t).</summary>
    [Parameter]
    [ValidateRange(0, 3600)]
    public int Timeout { get; set; } = 10;

    /// <summary>Returns the stopped container (not with -Remove).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void Process()
    {
        foreach (string n in Name) ValidateContainerName(n, nameof(Name));
        ContainerService service = Service;
        foreach (string n in Name)
        {
            string stop = service.Engine.Command("stop", "-t", Timeout.ToString(CultureInfo.InvariantCulture), n).CommandLine;
            string action = Remove ? $"{stop}; {service.Engine.Command("rm", n).CommandLine}" : stop;
            if (!ShouldProcess($"Stop container '{n}' with: {action}", $"Stop container '{n}' with '{action}'?", "Stop-OnloadContainer")) continue;
            TryItem(() =>
            {
                Run(ct => service.StopAsync(n, Timeout, ct), n);
                if (Remove)
                {
                    Run(ct => service.RemoveAsync(n, ct), n);
                    WriteVerbose($"Stopped and removed container {n}.");
                }
                else
                {
                    WriteVerbose($"Stopped container {n}.");
                    if (PassThru) WriteObject(ContainerResults.Container(Run(ct => service.InspectContainerAsync(n, ct), n), service.Engine.Name));
                }
            }, n);
        }
    }
}

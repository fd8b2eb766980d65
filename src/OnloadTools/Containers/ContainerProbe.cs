using OnloadTools.Host;
using OnloadTools.Latency;
using OnloadTools.Onload;
using OnloadTools.Processes;

namespace OnloadTools.Containers;

/// <summary>Where a measurement in a container looks for libonload (null: nothing is checked), and what the admin is told.</summary>
internal sealed record ContainerProbeScope(Func<int, bool>? Scope, string? Verbose, string? Warning);

/// <summary>
/// Whether Measure-NetperfLatency -Container checks each iteration for Onload: when the container's image carries Onload
/// (the org.openonload.version label) or -Onload was given, each iteration looks for libonload in the netperf processes
/// of that container (its cgroup), as Invoke-LatencyComparison does for its container arm. A container that cannot be
/// inspected is measured unchecked, with a warning: the measurement is what was asked, the check is a bonus.
/// </summary>
internal static class ContainerProbe
{
    public static async Task<ContainerProbeScope> ScopeAsync(IToolRunner runner, HostFileSystem fs, ContainerReference container, bool onload, CancellationToken ct)
    {
        ContainerInspect inspect;
        try
        {
            var engine = ContainerEngine.Resolve(runner, container.Engine);
            inspect = await new ContainerService(runner, fs, engine).InspectContainerAsync(container.Name, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ToolNotFoundException or ToolFailedException or ToolTimeoutException or ContainerEngineNotFoundException
                                      or ContainerEngineUnavailableException or ContainerObjectNotFoundException)
        {
            return new ContainerProbeScope(null, null,
                $"Could not inspect container {container.Name} ({e.Message.Split('\n')[0]}): whether netperf had Onload there is not checked.");
        }
        bool carriesOnload = inspect.Labels.ContainsKey(OnloadFacts.VersionLabel);
        if (!carriesOnload && !onload) return new ContainerProbeScope(null, null, null);
        return new ContainerProbeScope(AccelerationProbe.InContainer(fs, inspect.Id),
            $"Container {container.Name} {(carriesOnload ? "carries Onload (its image's " + OnloadFacts.VersionLabel + " label)" : "is measured with -Onload")}: each iteration checks that netperf has libonload mapped.",
            null);
    }
}

using System.Management.Automation;
using OnloadTools.Containers;

namespace OnloadTools.Commands;

/// <summary>
/// Get-OnloadImage: what `atomic info` showed (labels, RUN label, creation time, size) plus the Onload/netperf
/// package versions inside the image and whether its Onload matches the host's.
/// </summary>
[Cmdlet(VerbsCommon.Get, "OnloadImage")]
[OutputType(typeof(OnloadImage))]
public sealed class GetOnloadImageCommand : ContainerCmdlet
{
    /// <summary>Image names, tags or ids, or piped OnloadImage/OnloadContainer objects (wildcards match the tags of images carrying the Onload label). Default: every image with an org.openonload.version label.</summary>
    [Parameter(Position = 0, ValueFromPipeline = true)]
    [Alias("Tag", "Image")]
    [ImageReferenceTransformation]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(OnloadImageNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>More package names (wildcards) to report besides onload*, openonload*, netperf, sockperf, sfutils*.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] PackageName { get; set; } = Array.Empty<string>();

    /// <summary>Skip running rpm/dpkg-query in the image (faster; Packages stays empty).</summary>
    [Parameter]
    public SwitchParameter NoPackageQuery { get; set; }

    protected override void Process()
    {
        var (literal, patterns) = SplitNames(Name, n => ValidateImage(n, nameof(Name)));

        ContainerService service = Service;
        var targets = new List<(string Query, ImageInspect? Known)>();
        targets.AddRange(literal.Select(n => (n, (ImageInspect?)null)));
        if (Name is null || patterns.Count > 0)
        {
            foreach (string id in Run(ct => service.ListOnloadImageIdsAsync(ct), service.Engine.Name))
            {
                // An image removed since the listing is skipped; any other failure is that image's error.
                if (!TryItem(() => Run(ct => service.FindImageAsync(id, ct), id), id, out ImageInspect? inspect) || inspect is null) continue;
                if (patterns.Count == 0 || inspect.Tags.Any(t => patterns.Any(p => p.IsMatch(t) || p.IsMatch(ShortName(t)))))
                {
                    targets.Add((id, inspect));
                }
            }
        }

        var wanted = ContainerService.DefaultPackagePatterns.Concat(PackageName).ToArray();
        foreach (var (query, known) in targets)
        {
            TryItem(() =>
            {
                ImageInspect inspect = known ?? Run(ct => service.InspectImageAsync(query, ct), query);
                IReadOnlyList<InstalledPackage> packages = Array.Empty<InstalledPackage>();
                string? queryLine = null;
                if (!NoPackageQuery)
                {
                    var found = Run(ct => service.QueryPackagesAsync(inspect.Id, ct), query);
                    packages = PackageListParser.Select(found.Packages, wanted);
                    queryLine = found.CommandLine;
                    WriteVerbose(queryLine is null ? $"{query}: neither rpm nor dpkg-query runs in the image; no package versions." : $"{query}: {queryLine}");
                }
                WriteObject(ContainerResults.Image(inspect, service.Engine.Name, HostOnloadVersion, packages, queryLine));
            }, query);
        }
    }

    /// <summary>"localhost/onload-netperf:1" → "onload-netperf:1", so -Name onload* matches tags with a registry prefix.</summary>
    private static string ShortName(string tag) => tag[(tag.LastIndexOf('/') + 1)..];
}

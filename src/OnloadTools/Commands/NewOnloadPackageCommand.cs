using System.Management.Automation;
using OnloadTools.Host;
using OnloadTools.Solarflare;

namespace OnloadTools.Commands;

/// <summary>New-OnloadPackage: builds the OpenOnload RPMs from a source tarball with `rpmbuild -ta`.</summary>
[Cmdlet(VerbsCommon.New, "OnloadPackage", SupportsShouldProcess = true)]
[OutputType(typeof(OnloadPackage))]
public sealed class NewOnloadPackageCommand : OnloadCmdlet
{
    /// <summary>The OpenOnload source tarball (openonload-VERSION.tgz) with its .spec file inside.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "Path")]
    [ValidateNotNullOrEmpty]
    public string Source { get; set; } = "";

    /// <summary>Where the .rpm files are put. Default: the current directory.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputDirectory { get; set; }

    /// <summary>Also return the source RPM (.src.rpm), to rebuild the kernel module for another kernel later.</summary>
    [Parameter]
    public SwitchParameter IncludeSourcePackage { get; set; }

    /// <summary>rpmbuild --nodeps: do not check BuildRequires against the RPM database.</summary>
    [Parameter]
    public SwitchParameter NoDependencyCheck { get; set; }

    /// <summary>Minutes rpmbuild may run before it is stopped.</summary>
    [Parameter]
    [ValidateRange(1, 1440)]
    public int TimeoutMinutes { get; set; } = 120;

    protected override void Process()
    {
        string source = GetUnresolvedProviderPathFromPSPath(Source);
        if (!File.Exists(source))
        {
            WriteError(Error(new FileNotFoundException($"The source tarball '{source}' does not exist.", source),
                ErrorIds.OnloadSourceNotFound, ErrorCategory.ObjectNotFound, source));
            return;
        }
        string output = GetUnresolvedProviderPathFromPSPath(OutputDirectory ?? SessionState.Path.CurrentFileSystemLocation.Path);
        string topDir = Path.Combine(Path.GetTempPath(), "onloadtools-rpmbuild-" + Guid.NewGuid().ToString("N")[..12]);
        var command = OnloadPackageBuilder.BuildCommand(source, topDir, NoDependencyCheck);
        if (!ShouldProcess(source, $"Build RPMs with '{command.CommandLine}' and put them in {output}")) return;

        var progress = new ProgressRecord(3, "New-OnloadPackage", $"Building {Path.GetFileName(source)}") { CurrentOperation = command.CommandLine };
        var started = DateTime.UtcNow;
        void Tick()
        {
            progress.StatusDescription = $"Building {Path.GetFileName(source)} with rpmbuild ({(DateTime.UtcNow - started).TotalSeconds:0} s elapsed)";
            WriteProgress(progress);
        }
        Tick();
        List<OnloadPackage>? packages;
        try
        {
            // One tarball's failure (rpmbuild's words, a folder it may not write) is its error; the next tarball still builds.
            if (!TryItem(() => Build(source, output, topDir, Tick), source, out packages)) return;
        }
        finally
        {
            ScratchDirectory.TryDelete(topDir);
            progress.RecordType = ProgressRecordType.Completed;
            if (!Stopping) WriteProgress(progress);
        }
        if (packages!.Count == 0)
        {
            WriteWarning($"rpmbuild succeeded but built no binary package from {source}.");
        }
        foreach (var p in packages) WriteObject(p);
    }

    private List<OnloadPackage> Build(string source, string output, string topDir, Action tick)
    {
        Directory.CreateDirectory(topDir);
        return Await(new OnloadPackageBuilder(Runner).BuildAsync(source, output, topDir, IncludeSourcePackage, NoDependencyCheck,
            TimeSpan.FromMinutes(TimeoutMinutes), Cancellation), tick).Packages;
    }
}

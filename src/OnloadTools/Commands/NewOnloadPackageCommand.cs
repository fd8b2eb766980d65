using System.Management.Automation;
using OnloadTools.Processes;
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

    protected override void ProcessRecord()
    {
        string source = GetUnresolvedProviderPathFromPSPath(Source);
        if (!File.Exists(source))
        {
            WriteError(Error(new FileNotFoundException($"The source tarball '{source}' does not exist.", source),
                "OnloadSourceNotFound", ErrorCategory.ObjectNotFound, source));
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
        List<OnloadPackage> packages;
        try
        {
            Directory.CreateDirectory(topDir);
            (_, packages) = Await(new OnloadPackageBuilder(Runner).BuildAsync(source, output, topDir, IncludeSourcePackage, NoDependencyCheck,
                TimeSpan.FromMinutes(TimeoutMinutes), Cancellation), Tick);
        }
        catch (Exception e)
        {
            if (!WriteDomainError(e, source)) throw;
            return;
        }
        finally
        {
            try { if (Directory.Exists(topDir)) Directory.Delete(topDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            progress.RecordType = ProgressRecordType.Completed;
            if (!Stopping) WriteProgress(progress);
        }
        if (packages.Count == 0)
        {
            WriteWarning($"rpmbuild succeeded but built no binary package from {source}.");
        }
        foreach (var p in packages) WriteObject(p);
    }
}

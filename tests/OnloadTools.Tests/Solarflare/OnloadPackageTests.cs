using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Management.Automation;
using System.Runtime.InteropServices;

namespace OnloadTools.Tests.Solarflare;

/// <summary>
/// New-OnloadPackage with the real rpmbuild (Debian's rpm package provides it here; RHEL's rpm-build in production)
/// on a small openonload-VERSION.tgz that the test writes, with a spec that builds a user-space and a kmod package.
/// </summary>
[Collection("Environment")]
public sealed class OnloadPackageTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("onloadtools-rpm-");
    private readonly string _version = $"8.{Random.Shared.Next(1, 9)}.{Random.Shared.Next(0, 99)}";

    public void Dispose() => _dir.Delete(recursive: true);

    private static string ExpectedArch => RuntimeInformation.OSArchitecture switch
    {
        Architecture.X64 => "x86_64",
        Architecture.Arm64 => "aarch64",
        var a => a.ToString().ToLowerInvariant(),
    };

    private string MakeTarball(string? specOverride = null)
    {
        string top = $"openonload-{_version}";
        string spec = specOverride ?? $$"""
            %global debug_package %{nil}
            Name: openonload
            Version: {{_version}}
            Release: 1
            Summary: OpenOnload (test build)
            License: GPL-2.0-only
            Source0: openonload-%{version}.tgz
            %description
            Test build of the OpenOnload user-space parts.
            %package -n kmod-openonload
            Summary: OpenOnload kernel modules (test build)
            %description -n kmod-openonload
            Test build of the OpenOnload kernel modules.
            %prep
            %setup -q
            %build
            %install
            mkdir -p %{buildroot}/usr/bin %{buildroot}/lib/modules/extra
            install -m 755 onload %{buildroot}/usr/bin/onload
            install -m 644 onload.ko %{buildroot}/lib/modules/extra/onload.ko
            %files
            /usr/bin/onload
            %files -n kmod-openonload
            /lib/modules/extra/onload.ko
            """;
        string tgz = Path.Combine(_dir.FullName, $"{top}.tgz");
        using var file = File.Create(tgz);
        using var gz = new GZipStream(file, CompressionLevel.Fastest);
        using var tar = new TarWriter(gz, TarEntryFormat.Pax);
        void Add(string name, string content, UnixFileMode mode)
        {
            var e = new PaxTarEntry(TarEntryType.RegularFile, $"{top}/{name}")
            {
                DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)),
                Mode = mode,
            };
            tar.WriteEntry(e);
        }
        tar.WriteEntry(new PaxTarEntry(TarEntryType.Directory, top + "/") { Mode = (UnixFileMode)0b111_101_101 });
        Add("openonload.spec", spec.Replace("\r", ""), (UnixFileMode)0b110_100_100);
        Add("onload", "#!/bin/sh\necho \"Onload " + _version + "\"\n", (UnixFileMode)0b111_101_101);
        Add("onload.ko", "not a real module\n", (UnixFileMode)0b110_100_100);
        return tgz;
    }

    private static T Prop<T>(PSObject o, string name) => (T)LanguagePrimitives.ConvertTo(o.Properties[name].Value, typeof(T), CultureInfo.InvariantCulture);

    [Fact]
    public void Builds_the_user_space_and_kmod_rpms_with_rpmbuild_ta_and_reads_their_headers()
    {
        Assert.True(File.Exists("/usr/bin/rpmbuild") || Environment.GetEnvironmentVariable("PATH")!.Split(':').Any(p => File.Exists(Path.Combine(p, "rpmbuild"))),
            "rpmbuild is needed for this test (apt-get install -y rpm, or dnf install rpm-build).");
        string tgz = MakeTarball();
        string output = Path.Combine(_dir.FullName, "rpms");
        using var engine = new PowerShellEngine();
        var r = engine.Run("New-OnloadPackage -Source $tgz -OutputDirectory $out", ("tgz", tgz), ("out", output));
        Assert.Null(r.Terminating);
        Assert.Empty(r.Errors);
        Assert.Equal(2, r.Output.Count);
        Assert.All(r.Output, p => Assert.Equal("OnloadTools.OnloadPackage", p.TypeNames[0]));

        var byName = r.Output.ToDictionary(p => Prop<string>(p, "Name"));
        Assert.Equal(new[] { "kmod-openonload", "openonload" }, byName.Keys.Order());
        foreach (var p in r.Output)
        {
            Assert.Equal(_version, Prop<string>(p, "Version"));
            Assert.Equal("1", Prop<string>(p, "Release"));
            Assert.Equal(ExpectedArch, Prop<string>(p, "Architecture"));
            string path = Prop<string>(p, "Path");
            Assert.True(File.Exists(path), path);
            Assert.Equal(output, Path.GetDirectoryName(path));
            Assert.Equal(new FileInfo(path).Length, Prop<long>(p, "Length"));
            Assert.StartsWith("rpmbuild -ta " + tgz, Prop<string>(p, "CommandLine"));
        }
        Assert.Equal("UserSpace", Prop<string>(byName["openonload"], "Kind"));
        Assert.Equal("KernelModule", Prop<string>(byName["kmod-openonload"], "Kind"));
        Assert.Equal($"openonload-{_version}-1.{ExpectedArch}.rpm", Prop<string>(byName["openonload"], "FileName"));
        Assert.NotEmpty(r.Progress);

        // The objects pipe by property name into a consumer with a -Path parameter (as New-OnloadImage -OnloadPackage does).
        var piped = engine.Run(@"
            function Receive-Package { param([Parameter(ValueFromPipelineByPropertyName)][string]$Path) process { [System.IO.File]::Exists($Path) } }
            New-OnloadPackage $tgz -OutputDirectory $out -IncludeSourcePackage | Receive-Package", ("tgz", tgz), ("out", output));
        Assert.Empty(piped.Errors);
        Assert.Equal(new object[] { true, true, true }, piped.Output.Select(o => o.BaseObject));
        Assert.Single(Directory.GetFiles(output, "*.src.rpm"));
        // The private rpmbuild tree is gone.
        Assert.DoesNotContain(Directory.GetDirectories(Path.GetTempPath(), "onloadtools-rpmbuild-*"), d => Directory.GetLastWriteTimeUtc(d) > DateTime.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public void WhatIf_builds_nothing_and_shows_the_rpmbuild_command()
    {
        string tgz = MakeTarball();
        string output = Path.Combine(_dir.FullName, "whatif");
        using var engine = new CapturingEngine();
        var r = engine.Run($"New-OnloadPackage -Source '{tgz}' -OutputDirectory '{output}' -WhatIf");
        Assert.Empty(r.Output);
        Assert.Empty(r.Errors);
        Assert.False(Directory.Exists(output));
        Assert.Contains($"rpmbuild -ta {tgz} --define '_topdir ", engine.HostOutput);
    }

    [Fact]
    public void A_broken_spec_is_an_RpmbuildFailed_error_with_rpmbuilds_words()
    {
        string tgz = MakeTarball("Name: openonload\nVersion: 1\n%description\nbroken: no Release, Summary or License\n");
        using var engine = new PowerShellEngine();
        var r = engine.Run("New-OnloadPackage -Source $tgz -OutputDirectory $out", ("tgz", tgz), ("out", Path.Combine(_dir.FullName, "x")));
        var e = r.SingleError;
        Assert.Equal(ErrorCategory.InvalidResult, e.CategoryInfo.Category);
        Assert.StartsWith("RpmbuildFailed", e.FullyQualifiedErrorId);
        Assert.Equal(tgz, e.TargetObject);
        Assert.Contains("exited with code 1", e.Exception.Message);
        Assert.Contains("error:", e.Exception.Message);
        Assert.Empty(r.Output);
    }

    [Fact]
    public void A_missing_tarball_is_ObjectNotFound_and_a_missing_rpmbuild_is_NotInstalled()
    {
        using var engine = new PowerShellEngine();
        var missing = engine.Run("New-OnloadPackage -Source $tgz", ("tgz", Path.Combine(_dir.FullName, "openonload-0.tgz")));
        Assert.Equal(ErrorCategory.ObjectNotFound, missing.SingleError.CategoryInfo.Category);

        string tgz = MakeTarball();
        using var d = new DoublesOnPath();
        d.Set("PATH", "/nonexistent");
        var r = engine.Run("New-OnloadPackage -Source $tgz -OutputDirectory $out", ("tgz", tgz), ("out", Path.Combine(_dir.FullName, "y")));
        Assert.Equal(ErrorCategory.NotInstalled, r.SingleError.CategoryInfo.Category);
        Assert.Contains("rpm-build", r.SingleError.Exception.Message);
    }
}

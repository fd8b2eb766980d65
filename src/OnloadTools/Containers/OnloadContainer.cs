namespace OnloadTools;

/// <summary>A container started from an Onload image (Start-OnloadContainer, Get-OnloadContainer).</summary>
public sealed class OnloadContainer
{
    /// <summary>Full container id.</summary>
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    /// <summary>The image as it was named when the container was created.</summary>
    public string Image { get; set; } = "";
    public string? ImageId { get; set; }
    /// <summary>The engine's state: created, running, exited, paused …</summary>
    public string State { get; set; } = "";
    public bool Running { get; set; }
    public int? ExitCode { get; set; }
    public DateTime? Created { get; set; }
    public DateTime? StartedAt { get; set; }
    /// <summary>Device nodes inside the container ("/dev/onload" …).</summary>
    public string[] Devices { get; set; } = Array.Empty<string>();
    /// <summary>host, bridge, none, pasta …</summary>
    public string NetworkMode { get; set; } = "";
    public bool Privileged { get; set; }
    public bool ReadOnly { get; set; }
    /// <summary>The container's command (entrypoint and arguments) as a command line.</summary>
    public string? Command { get; set; }
    /// <summary>The image's org.openonload.version label, carried on the container.</summary>
    public string? OnloadVersion { get; set; }
    /// <summary>podman or docker.</summary>
    public string Engine { get; set; } = "";
    /// <summary>The engine command line that created the container (podman records it; Start-OnloadContainer always does).</summary>
    public string? CommandLine { get; set; }

    public override string ToString() => Name;
}

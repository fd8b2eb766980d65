namespace OnloadTools.Host;

/// <summary>The module's scratch folders (an rpmbuild tree, an image's build context, a tool's work folder).</summary>
internal static class ScratchDirectory
{
    /// <summary>Deletes a scratch folder and what it holds, best effort: one that cannot be deleted (busy, no right)
    /// is left in the temporary folder rather than turning a finished command into a failure.</summary>
    public static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}

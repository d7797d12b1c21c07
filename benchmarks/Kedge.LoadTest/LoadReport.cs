namespace Kedge.LoadTest;

/// <summary>Where a run's report goes: the console, and <c>artifacts/load/</c> for pasting into a README.</summary>
internal static class LoadReport
{
    /// <summary>Prints and saves the report; returns the exit code (1 when any request failed).</summary>
    public static async Task<int> PublishAsync(string report, string fileName, IEnumerable<LoadResult> results)
    {
        Console.WriteLine();
        Console.WriteLine(report);
        Directory.CreateDirectory("artifacts/load");
        await File.WriteAllTextAsync(Path.Combine("artifacts/load", fileName), report);
        return results.Any(r => r.Errors > 0) ? 1 : 0;
    }
}

using System.Diagnostics;
using System.Globalization;

namespace Kedge.Testing;

/// <summary>
/// Runs a command to its end and returns its exit code and output. One that outlives the timeout is killed (with its
/// children) and waited for, so no process outlives the test, before the timeout is reported.
/// </summary>
public static class ProcessRun
{
    /// <summary>A built .NET program (<c>dotnet program.dll …</c>): kedge or winch from the assembly a test references.</summary>
    public static Task<(int Code, string Stdout, string Stderr)> DotnetAsync(System.Reflection.Assembly program, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
        => RunAsync("dotnet", [program.Location, .. args], timeout, environment);

    /// <param name="environment">Variables set for the process, on top of this one's.</param>
    /// <param name="started">Called with the process's id once it runs (for tests of this runner).</param>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string fileName, IEnumerable<string> args, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null, Action<int>? started = null)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException(fileName + " did not start");
        started?.Invoke(process.Id);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            // Reaped, and its output drained, before the test goes on.
            await process.WaitForExitAsync();
            var output = await stdout;
            var errors = await stderr;
            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"{fileName} did not exit within {timeout.TotalSeconds} s and was killed; stdout: {output}; stderr: {errors}"));
        }

        return (process.ExitCode, (await stdout).ReplaceLineEndings("\n"), await stderr);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Kedge.LoadTest;

/// <summary>Starts the proxies under test as their own processes and cleans them up.</summary>
internal static class Processes
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static OwnedProcess StartDll(string dll, int port, params string[] args)
        => Start("dotnet", port, [Path.Combine(AppContext.BaseDirectory, dll), .. args]);

    /// <summary>Starts kedge with extra environment from KEDGE_LOAD_KEDGE_ENV ("NAME=value;NAME=value"; "NAME=" removes one), for runtime-setting experiments.</summary>
    public static OwnedProcess StartKedge(int port, params string[] args)
        => StartKedge(Path.Combine(AppContext.BaseDirectory, "kedge.dll"), port, new Dictionary<string, string>(), drainOutput: false, args);

    /// <summary>
    /// Starts a kedge build (<paramref name="dll"/>) with <paramref name="environment"/> added to KEDGE_LOAD_KEDGE_ENV's.
    /// With <paramref name="drainOutput"/>, standard output (where an access log goes) is read in blocks and only its
    /// lines counted, as a container runtime would consume it, instead of being echoed line by line.
    /// </summary>
    public static OwnedProcess StartKedge(string dll, int port, IReadOnlyDictionary<string, string> environment, bool drainOutput, params string[] args)
    {
        var extra = (Environment.GetEnvironmentVariable("KEDGE_LOAD_KEDGE_ENV") ?? string.Empty)
            .Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : string.Empty);
        foreach (var (name, value) in environment)
        {
            extra[name] = value;
        }

        return Start("dotnet", port, extra, drainOutput, [dll, .. args]);
    }

    public static OwnedProcess Start(string file, int port, params string[] args) => Start(file, port, new Dictionary<string, string>(), drainOutput: false, args);

    public static OwnedProcess Start(string file, int port, IReadOnlyDictionary<string, string> environment, bool drainOutput, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment)
        {
            // An empty value removes the variable, so a run is not changed by what the caller's shell exports (OTEL_*).
            if (value.Length == 0)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        var owned = new OwnedProcess(process);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"[{Path.GetFileName(file)}:{port}] {e.Data}"); } };
        process.BeginErrorReadLine();
        if (drainOutput)
        {
            _ = Task.Run(() => owned.DrainAsync(process.StandardOutput.BaseStream));
        }
        else
        {
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"[{Path.GetFileName(file)}:{port}] {e.Data}"); } };
            process.BeginOutputReadLine();
        }

        return owned;
    }

    public static async Task WaitForPortsAsync(params int[] ports)
    {
        foreach (var port in ports)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (true)
            {
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, port);
                    break;
                }
                catch (SocketException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(100);
                }
            }
        }
    }

    /// <summary>A process and its direct children (nginx's worker under its master).</summary>
    public static IEnumerable<int> SelfAndChildren(int pid)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var candidate) && (candidate == pid || CpuMeter.Stat(candidate)?.ParentPid == pid))
            {
                yield return candidate;
            }
        }
    }

    /// <summary>Peak resident set size (VmHWM) of a process and its direct children, in MB.</summary>
    public static double PeakWorkingSetMb(OwnedProcess process) => SelfAndChildren(process.Process.Id).Sum(PeakWorkingSetMb);

    private static double PeakWorkingSetMb(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : double.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException)
        {
            return 0; // exited meanwhile
        }
    }

    /// <summary>Resets the kernel's peak resident set size (VmHWM) of a process to its current size.</summary>
    public static void ResetPeakWorkingSet(OwnedProcess process) => File.WriteAllText($"/proc/{process.Process.Id}/clear_refs", "5");


    internal sealed class OwnedProcess(Process process) : IDisposable
    {
        private long _outputLines;

        public Process Process { get; } = process;

        /// <summary>Lines written to standard output, when it is drained.</summary>
        public long OutputLines => Interlocked.Read(ref _outputLines);

        public async Task DrainAsync(Stream output)
        {
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await output.ReadAsync(buffer)) > 0)
            {
                Interlocked.Add(ref _outputLines, buffer.AsSpan(0, read).Count((byte)'\n'));
            }
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit();
            }

            Process.Dispose();
        }
    }
}

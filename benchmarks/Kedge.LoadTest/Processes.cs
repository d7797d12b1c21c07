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

    /// <summary>Starts kedge with extra environment from KEDGE_LOAD_KEDGE_ENV ("NAME=value;NAME=value"), for runtime-setting experiments.</summary>
    public static OwnedProcess StartKedge(int port, params string[] args)
    {
        var extra = (Environment.GetEnvironmentVariable("KEDGE_LOAD_KEDGE_ENV") ?? string.Empty)
            .Split(';', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : string.Empty);
        return Start("dotnet", port, extra, [Path.Combine(AppContext.BaseDirectory, "kedge.dll"), .. args]);
    }

    public static OwnedProcess Start(string file, int port, params string[] args) => Start(file, port, new Dictionary<string, string>(), args);

    public static OwnedProcess Start(string file, int port, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"[{Path.GetFileName(file)}:{port}] {e.Data}"); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"[{Path.GetFileName(file)}:{port}] {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new OwnedProcess(process);
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
        public Process Process { get; } = process;

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

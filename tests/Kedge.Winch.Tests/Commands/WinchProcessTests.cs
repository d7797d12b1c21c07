using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Kedge.Winch.Commands;

namespace Kedge.Winch.Tests.Commands;

/// <summary>Runs the built <c>winch</c> as a user would: a separate process with Go winch flags, stopped with SIGTERM.</summary>
public sealed partial class WinchProcessTests
{
    private readonly ConcurrentQueue<string> _output = new();

    [Fact]
    public async Task Process_GoFlags_ListensOnLoopbackServesAndExits0OnSigterm()
    {
        var listening = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var winch = Start(
            line =>
            {
                if (ListeningLine().Match(line) is { Success: true } match)
                {
                    listening.TrySetResult(match);
                }
            },
            "--server_http_port", "0",
            "--server_grpc_port=0",
            """--server_mapper_config={"routes": [{"direct": {"key": "a.internal", "url": "https://kedge.example.com"}}]}""",
            "--log_level=info");
        try
        {
            var match = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var httpPort = int.Parse(match.Groups["http"].Value, CultureInfo.InvariantCulture);
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });

            Assert.Equal("winch isok", await client.GetStringAsync($"http://127.0.0.1:{httpPort}/healthz"));

            using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", winch.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
            {
                await kill.WaitForExitAsync();
            }

            await winch.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(winch.ExitCode == 0, $"exit code {winch.ExitCode}:\n{string.Join('\n', _output)}");
        }
        finally
        {
            if (!winch.HasExited)
            {
                winch.Kill();
            }
        }
    }

    [Fact]
    public async Task Process_NoRoutes_Exit2WithTheReasonOnStderr()
    {
        using var winch = Start(_ => { }, "--server_http_port=0");

        await winch.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(WinchCommand.ExitBadInput, winch.ExitCode);
        Assert.Contains(_output, line => line.Contains("no winch mapper routes defined", StringComparison.Ordinal));
    }

    private Process Start(Action<string> onLine, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(WinchCommand).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        void Received(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is { } line)
            {
                _output.Enqueue(line);
                onLine(line);
            }
        }

        process.OutputDataReceived += Received;
        process.ErrorDataReceived += Received;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    [GeneratedRegex(@"winch is listening: HTTP proxy on http://127\.0\.0\.1:(?<http>\d+) .*gRPC proxy on 127\.0\.0\.1:(?<grpc>\d+)")]
    private static partial Regex ListeningLine();
}

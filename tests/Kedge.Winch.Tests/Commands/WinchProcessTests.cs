using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Kedge.Testing;
using Kedge.Winch.Commands;

namespace Kedge.Winch.Tests.Commands;

/// <summary>Runs the built <c>winch</c> as a user would: a separate process with Go winch flags, stopped with SIGTERM.</summary>
public sealed partial class WinchProcessTests
{
    private readonly ConcurrentQueue<string> _output = new();
    private readonly ConcurrentQueue<string> _stdout = new();

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

            await StopAsync(winch);
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

    [Fact]
    public async Task Process_LogFormatJson_EachLineIsJsonAndRequestLinesCarryTheCallersTraceId()
    {
        const string traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        await using var backend = await Kedge.Testing.LoopbackServer.StartAsync(new Kedge.Testing.LoopbackServerOptions { Protocols = Microsoft.AspNetCore.Server.Kestrel.Core.HttpProtocols.Http1 });
        var listening = new TaskCompletionSource<Match>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var winch = Start(
            line =>
            {
                if (ListeningLine().Match(line) is { Success: true } match)
                {
                    listening.TrySetResult(match);
                }
            },
            "--server_http_port=0",
            "--server_grpc_port=0",
            """--server_mapper_config={"routes": [{"direct": {"key": "a.internal", "url": "https://kedge.example.com"}}]}""",
            "--log_format=json",
            "--debug_mode");
        try
        {
            var match = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var httpPort = int.Parse(match.Groups["http"].Value, CultureInfo.InvariantCulture);
            using var client = new HttpClient(new SocketsHttpHandler { Proxy = new System.Net.WebProxy($"http://127.0.0.1:{httpPort}"), UseProxy = true });
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://localhost:{backend.BaseAddress.Port}/direct");
            request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-00f067aa0ba902b7-01");
            (await client.SendAsync(request)).Dispose();

            // The debug line for the direct request is written when the response is done; wait for it.
            var line = await Eventually.ValueAsync(
                () => Task.FromResult(_output.FirstOrDefault(l => l.Contains("\"EventId\":2011", StringComparison.Ordinal))),
                l => l is not null,
                "winch logs the proxied request");
            using var json = System.Text.Json.JsonDocument.Parse(line!);
            Assert.Equal("Kedge.Winch.HttpProxy", json.RootElement.GetProperty("Category").GetString());
            Assert.Contains(json.RootElement.GetProperty("Scopes").EnumerateArray(), scope => scope.TryGetProperty("TraceId", out var id) && id.GetString() == traceId);
            // Every line, including those of the shutdown: once winch has exited, its output is drained.
            await StopAsync(winch);
            var lines = _stdout.Where(l => l.Length > 0).ToList();
            Assert.NotEmpty(lines);
            Assert.All(lines, l =>
            {
                using var parsed = System.Text.Json.JsonDocument.Parse(l);
                Assert.Equal(System.Text.Json.JsonValueKind.Object, parsed.RootElement.ValueKind);
            });
        }
        finally
        {
            if (!winch.HasExited)
            {
                winch.Kill();
            }
        }
    }

    /// <summary>SIGTERM, as a pod's stop; winch drains and exits 0, and its output has been read to the end.</summary>
    private async Task StopAsync(Process winch)
    {
        using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", winch.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!)
        {
            await kill.WaitForExitAsync();
        }

        // WaitForExitAsync also waits for the end of the redirected output.
        await winch.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(winch.ExitCode == 0, $"exit code {winch.ExitCode}:\n{string.Join('\n', _output)}");
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

        process.OutputDataReceived += (sender, e) =>
        {
            if (e.Data is { } line)
            {
                _stdout.Enqueue(line);
            }

            Received(sender, e);
        };
        process.ErrorDataReceived += Received;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    [GeneratedRegex(@"winch is listening: HTTP proxy on http://127\.0\.0\.1:(?<http>\d+) .*gRPC proxy on 127\.0\.0\.1:(?<grpc>\d+)")]
    private static partial Regex ListeningLine();
}

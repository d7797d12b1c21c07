using System.Diagnostics;
using System.Globalization;
using Kedge.Testing;

/// <summary>The test Kubernetes API server in a child process, driven over stdin ("slice &lt;i&gt; &lt;ip&gt;", "service &lt;i&gt;").</summary>
internal sealed class ApiServerProcess : IDisposable
{
    private const int Namespaces = 50;
    private readonly Process _process;

    private ApiServerProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    public static string Namespace(int service) => $"ns-{service % Namespaces}";

    public static string Name(int service) => $"svc-{service}";

    public static string BackendName(int service) => $"svc_{service}_ns_{service % Namespaces}_8080";

    public static ApiServerProcess Start(int services, int endpoints)
    {
        var self = Environment.GetCommandLineArgs()[0];
        var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(self);
        info.ArgumentList.Add("api");
        info.ArgumentList.Add(services.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add(endpoints.ToString(CultureInfo.InvariantCulture));
        var process = Process.Start(info)!;
        var line = process.StandardOutput.ReadLine() ?? throw new InvalidOperationException("the API server process exited");
        return new ApiServerProcess(process, line["URL=".Length..]);
    }

    public async Task SendAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        _ = await _process.StandardOutput.ReadLineAsync();
    }

    public void Dispose()
    {
        _process.StandardInput.Close();
        if (!_process.WaitForExit(5000))
        {
            _process.Kill();
        }

        _process.Dispose();
    }

    public static async Task RunAsync(int services, int endpoints)
    {
        await using var api = await KubernetesApiServer.StartAsync();
        var labels = new Dictionary<string, string> { ["kedge.com/kedge-exposed"] = "true" };
        void AddService(int i, string? extra)
        {
            var ips = Enumerable.Range(0, endpoints).Select(e => ($"10.{i / 250 % 250}.{i % 250}.{e + 1}", (bool?)true, (bool?)false));
            if (extra is not null)
            {
                ips = ips.Append((extra, true, false));
            }

            api.Apply(KubernetesApiServer.Slice(Namespace(i), Name(i), Name(i) + "-abcde", [("http", 8080)], ips));
        }

        for (var i = 0; i < services; i++)
        {
            api.Apply(KubernetesApiServer.Service(Namespace(i), Name(i), labels, null, ("http", 80, "8080")));
            AddService(i, null);
        }

        // Start-up state is the list; nothing of it needs replaying.
        api.Compact();
        Console.WriteLine("URL=" + api.Url);
        string? line;
        while ((line = await Console.In.ReadLineAsync()) is not null)
        {
            var parts = line.Split(' ');
            var i = int.Parse(parts[1], CultureInfo.InvariantCulture);
            if (parts[0] == "slice")
            {
                AddService(i, parts[2]);
            }
            else
            {
                AddService(i, null);
                api.Apply(KubernetesApiServer.Service(Namespace(i), Name(i), labels, null, ("http", 80, "8080")));
            }

            Console.WriteLine("ok");
        }
    }
}

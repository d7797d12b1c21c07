using System.Diagnostics;
using System.Globalization;
using Kedge.Server.Configuration;
using Kedge.Server.Discovery;
using Kedge.Server.Hosting;
using Kedge.Server.Kubernetes;
using Kedge.Server.Management;
using Kedge.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// kedge following a large cluster: a Kubernetes API server (the test server, in a child process so its memory is not
// counted) holds N exposed Services with E endpoints each; kedge (in this process) discovers them all, then
// EndpointSlice changes and new Services are made one at a time and the time until kedge's routing shows them is
// measured. Usage: dotnet run -c Release --project benchmarks/Kedge.KubernetesBench -- [services=5000] [endpoints=10] [changes=500]
if (args.Length > 0 && args[0] == "api")
{
    await ApiServerProcess.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
    return 0;
}

var services = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5000;
var endpoints = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
var changes = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 500;
const int Namespaces = 50;

using var api = ApiServerProcess.Start(services, endpoints);
Console.WriteLine($"API server (child process) at {api.Url}: {services} Services in {Namespaces} namespaces, {services * endpoints} endpoints.");

var settings = new KedgeServerSettings { BindAddress = "127.0.0.1", HttpTlsPort = 0, GrpcTlsPort = 0, HttpPort = KedgeServerSettings.AnyFreePort };
await using var kedge = KedgeServerApp.Build(settings, builder =>
{
    builder.Logging.ClearProviders();
    builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
    builder.Services.AddSingleton(new KubernetesOptions { ApiUrl = api.Url });
    builder.Services.AddSingleton(new DiscoveryOptions { Enabled = true, ExternalDomainSuffix = "bench.kedge" });
});
var started = Stopwatch.StartNew();
await kedge.StartAsync();
if ((await kedge.ApplyAsync(new KedgeServerOptions())).Count > 0)
{
    throw new InvalidOperationException("empty configuration rejected");
}

var runtime = kedge.App.Services.GetRequiredService<KedgeRuntime>();
await kedge.App.Services.GetRequiredService<ServiceDiscovery>().FirstApplied.WaitAsync(TimeSpan.FromMinutes(5));
while (runtime.Current.HttpBackends.Count < services || runtime.Current.HttpBackends.Values.Any(b => b.Endpoints.Count < endpoints))
{
    await Task.Delay(10);
}

Console.WriteLine($"Initial sync: {runtime.Current.HttpBackends.Count} backends, {runtime.Current.Options.HttpRoutes.Count} routes, {runtime.Current.HttpBackends.Values.Sum(b => b.Endpoints.Count)} endpoints in {started.Elapsed.TotalSeconds:F2} s; {kedge.App.Services.GetRequiredService<EndpointSliceWatchPool>().WatchCount} EndpointSlice watches.");
var afterSync = WorkingSetMb();
var liveAfterSync = GC.GetTotalMemory(forceFullCollection: true) / 1048576.0;

// EndpointSlice change -> backend endpoints.
var random = new Random(42);
var sliceLatencies = new List<double>();
for (var i = 0; i < changes; i++)
{
    var service = random.Next(services);
    var address = $"10.200.{i / 250}.{i % 250}";
    var backend = runtime.Current.HttpBackends[ApiServerProcess.BackendName(service)];
    var clock = Stopwatch.StartNew();
    await api.SendAsync($"slice {service} {address}");
    while (!backend.Endpoints.Any(e => e.Host == address))
    {
        await Task.Yield();
    }

    sliceLatencies.Add(clock.Elapsed.TotalMilliseconds);
}

// New exposed Service (and its slice) -> route and backend (includes discovery's 100 ms debounce).
var serviceLatencies = new List<double>();
for (var i = 0; i < Math.Max(20, changes / 10); i++)
{
    var id = services + i;
    var clock = Stopwatch.StartNew();
    await api.SendAsync($"service {id}");
    while (!runtime.Current.HttpBackends.TryGetValue(ApiServerProcess.BackendName(id), out var added) || added.Endpoints.Count < endpoints)
    {
        await Task.Delay(1);
    }

    serviceLatencies.Add(clock.Elapsed.TotalMilliseconds);
}

var final = WorkingSetMb();
var liveFinal = GC.GetTotalMemory(forceFullCollection: true) / 1048576.0;
Console.WriteLine($"EndpointSlice change -> routing ({sliceLatencies.Count} changes): p50 {Percentile(sliceLatencies, 50):F2} ms, p99 {Percentile(sliceLatencies, 99):F2} ms, max {sliceLatencies.Max():F2} ms");
Console.WriteLine($"New Service -> route ({serviceLatencies.Count} Services): p50 {Percentile(serviceLatencies, 50):F2} ms, p99 {Percentile(serviceLatencies, 99):F2} ms, max {serviceLatencies.Max():F2} ms");
Console.WriteLine($"kedge working set: {afterSync:F0} MB after the initial sync, {final:F0} MB at the end (peak {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F0} MB); live managed heap {liveAfterSync:F0} MB and {liveFinal:F0} MB.");
return 0;

static double WorkingSetMb()
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    using var process = Process.GetCurrentProcess();
    process.Refresh();
    return process.WorkingSet64 / 1048576.0;
}

static double Percentile(List<double> values, int percentile)
{
    var sorted = values.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}

using k8s;
using k8s.Models;
using Kedge.FunctionalTests.Server;
using Kedge.GoCompat;
using Kedge.Server.Configuration;
using Kedge.Server.Discovery;
using Kedge.Server.Hosting;
using Kedge.Server.Kubernetes;
using Kedge.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kedge.FunctionalTests.Deploy;

/// <summary>deploy/kubernetes parses with KubernetesClient's YAML loader, hangs together, and grants exactly what kedge calls.</summary>
public sealed class KubernetesManifestTests
{
    private static readonly string ManifestDirectory = Path.Combine(RepositoryRoot(), "deploy", "kubernetes");

    private static async Task<List<object>> LoadAllAsync()
    {
        var objects = new List<object>();
        foreach (var file in Directory.GetFiles(ManifestDirectory, "*.yaml").Order(StringComparer.Ordinal))
        {
            objects.AddRange(await KubernetesYaml.LoadAllFromFileAsync(file));
        }

        return objects;
    }

    [Fact]
    public async Task Manifests_LoadWithKubernetesYaml_EveryPieceThere()
    {
        var objects = await LoadAllAsync();

        Assert.Equal(
            ["ClusterRole", "ClusterRoleBinding", "ConfigMap", "Deployment", "Namespace", "PodDisruptionBudget", "Service", "ServiceAccount"],
            objects.Select(o => ((IKubernetesObject)o).Kind).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Deployment_ProbesSecurityAndMounts_MatchKedgeFlags()
    {
        var objects = await LoadAllAsync();
        var deployment = objects.OfType<V1Deployment>().Single();
        var pod = deployment.Spec.Template.Spec;
        var container = Assert.Single(pod.Containers);
        var args = container.Args.Select(a => a.Split('=', 2)).ToDictionary(a => a[0], a => a.Length > 1 ? a[1] : "true");
        int Port(string name) => container.Ports.Single(p => p.Name == name).ContainerPort;

        Assert.Equal("/_healthz", container.LivenessProbe.HttpGet.Path);
        Assert.Equal("/readyz", container.ReadinessProbe.HttpGet.Path);
        Assert.Equal("admin", container.LivenessProbe.HttpGet.Port.Value);
        Assert.Equal(Port("admin").ToString(System.Globalization.CultureInfo.InvariantCulture), args["--server_http_port"]);
        Assert.Equal(Port("https").ToString(System.Globalization.CultureInfo.InvariantCulture), args["--server_http_tls_port"]);
        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
        Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
        Assert.Contains("ALL", container.SecurityContext.Capabilities.Drop);
        Assert.NotNull(container.Resources.Requests["cpu"]);
        Assert.NotNull(container.Resources.Requests["memory"]);

        // Rollouts: the pod keeps serving while it leaves the load balancer, and the grace period covers that plus the
        // drain (ShutdownTimeout); the separate gRPC port that no Service exposes is off.
        var preStop = container.Lifecycle.PreStop.Sleep.Seconds;
        Assert.True(preStop >= 5);
        Assert.True(pod.TerminationGracePeriodSeconds > preStop + (long)new Kedge.Server.Configuration.KedgeServerSettings().ShutdownTimeout.TotalSeconds);
        Assert.Equal("0", args["--server_grpc_tls_port"]);

        // The TLS secret is mounted where the flags look, and the config map where --config points.
        var mounts = container.VolumeMounts.ToDictionary(m => m.Name, m => m.MountPath);
        var volumes = pod.Volumes.ToDictionary(v => v.Name);
        Assert.Equal("kedge-tls", volumes["tls"].Secret.SecretName);
        Assert.StartsWith(mounts["tls"] + "/", args["--server_tls_cert_file"], StringComparison.Ordinal);
        Assert.StartsWith(mounts["tls"] + "/", args["--server_tls_key_file"], StringComparison.Ordinal);
        Assert.StartsWith(mounts["config"] + "/", args["--config"], StringComparison.Ordinal);

        // The service account is the one the binding grants to; the LoadBalancer sends 443 to the TLS port.
        var binding = objects.OfType<V1ClusterRoleBinding>().Single();
        var account = objects.OfType<V1ServiceAccount>().Single();
        Assert.Equal((account.Metadata.Name, account.Metadata.NamespaceProperty), (pod.ServiceAccountName, deployment.Metadata.NamespaceProperty));
        Assert.Contains(binding.Subjects, s => s.Kind == "ServiceAccount" && s.Name == account.Metadata.Name && s.NamespaceProperty == account.Metadata.NamespaceProperty);
        var service = objects.OfType<V1Service>().Single();
        Assert.Equal("LoadBalancer", service.Spec.Type);
        Assert.Equal("https", Assert.Single(service.Spec.Ports).TargetPort.Value);
        Assert.Equal(deployment.Spec.Selector.MatchLabels, service.Spec.Selector);
        var budget = objects.OfType<V1PodDisruptionBudget>().Single();
        Assert.Equal(deployment.Spec.Selector.MatchLabels, budget.Spec.Selector.MatchLabels);
        Assert.True(deployment.Spec.Replicas > int.Parse(budget.Spec.MinAvailable.Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Deployment_PrometheusAnnotations_NameTheAdminPortAndMetricsPathKedgeServes()
    {
        var objects = await LoadAllAsync();
        var template = objects.OfType<V1Deployment>().Single().Spec.Template;
        var container = Assert.Single(template.Spec.Containers);
        var annotations = template.Metadata.Annotations;

        // Read the deployment's args (and the config map they point --config at) the way kedge reads them at start, so
        // a port or path set in either place, or left at its default, is what the annotations must name.
        using var dir = new TempDirectory();
        var configFile = dir.Combine("kedge.json");
        await File.WriteAllTextAsync(configFile, objects.OfType<V1ConfigMap>().Single().Data["kedge.json"]);
        var args = container.Args.Select(a => a.StartsWith("--config=", StringComparison.Ordinal) ? "--config=" + configFile : a).ToArray();
        var errors = new List<string>();
        var parsed = GoFlagParser.Parse(KedgeProgram.Flags, args, "kedge");
        var (nativeFile, nativeFileName) = KedgeConfigSource.FromFlags(parsed, errors)!.ReadSettingsFile();
        var server = KedgeSettingsReader.Read(parsed, nativeFile, nativeFileName, new ConfigurationBuilder().Build(), errors).Settings.Server;
        Assert.Empty(errors);

        Assert.Equal("true", annotations["prometheus.io/scrape"]);
        Assert.Equal("http", annotations["prometheus.io/scheme"]);
        Assert.Equal(server.HttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture), annotations["prometheus.io/port"]);
        Assert.Equal(server.MetricsPath, annotations["prometheus.io/path"]);
        Assert.Equal(server.HttpPort, container.Ports.Single(p => p.Name == "admin").ContainerPort);
    }

    [Fact]
    public async Task ConfigMap_KedgeJson_IsAValidNativeConfiguration()
    {
        var objects = await LoadAllAsync();
        var json = objects.OfType<V1ConfigMap>().Single().Data["kedge.json"];
        using var dir = new TempDirectory();
        var file = dir.Combine("kedge.json");
        await File.WriteAllTextAsync(file, json);
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await KedgeProgram.RunAsync(["--config=" + file, "--print-config"], output, error);

        Assert.True(code == 0, error.ToString());
    }

    [Fact]
    public async Task ClusterRole_GrantsExactlyWhatKedgeCalls()
    {
        var role = (await LoadAllAsync()).OfType<V1ClusterRole>().Single();
        var granted = role.Rules
            .SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.SelectMany(res => r.Verbs.Select(v => (Group: g, Resource: res, Verb: v)))))
            .ToHashSet();
        Assert.DoesNotContain(role.Rules, r => r.ResourceNames is { Count: > 0 } || r.NonResourceURLs is { Count: > 0 });
        Assert.Equal(
            new HashSet<(string, string, string)> { ("", "services", "get"), ("", "services", "list"), ("", "services", "watch"), ("discovery.k8s.io", "endpointslices", "get"), ("discovery.k8s.io", "endpointslices", "list"), ("discovery.k8s.io", "endpointslices", "watch") },
            granted);

        // Run kedge with a Kubernetes backend and discovery, and check that every call it makes is granted.
        using var logs = new TestLogSink();
        using var dir = new TempDirectory();
        await using var api = await KubernetesApiServer.StartAsync();
        api.Apply(KubernetesApiServer.Slice("shop", "orders", "orders-1", [("http", 8080)], [("127.0.0.1", true, false)]));
        api.Apply(KubernetesApiServer.Service("web", "front", new Dictionary<string, string> { ["kedge.com/kedge-exposed"] = "true" }, null, ("http", 80, "8080")));
        api.Apply(KubernetesApiServer.Slice("web", "front", "front-1", [("http", 8080)], [("127.0.0.1", true, false)]));
        var routing = new KedgeServerOptions
        {
            HttpRoutes = [new() { Backend = "orders", Host = "orders.example.com" }],
            HttpBackends = [new() { Name = "orders", K8s = new() { DnsPortName = "orders.shop:http" } }],
        };
        await using (var kedge = await KedgeServerFixture.StartAsync(logs, routing, configureHost: b =>
        {
            b.Services.AddSingleton(new KubernetesOptions { ApiUrl = api.Url });
            b.Services.AddSingleton(new DiscoveryOptions { Enabled = true, ExternalDomainSuffix = "cluster-a.kedge" });
        }))
        {
            await kedge.Server.App.Services.GetRequiredService<ServiceDiscovery>().FirstApplied.WaitAsync(TimeSpan.FromSeconds(15));
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (api.Requests.Count(r => r.Contains("watch=true", StringComparison.Ordinal)) < 3)
            {
                Assert.True(DateTime.UtcNow < deadline, "kedge did not start its watches: " + string.Join("\n", api.Requests));
                await Task.Delay(20);
            }
        }

        var used = api.Requests.Select(ToPermission).ToHashSet();
        Assert.Contains(("", "services", "watch"), used);
        Assert.Contains(("discovery.k8s.io", "endpointslices", "list"), used);
        Assert.Subset(granted, used);
    }

    /// <summary>The RBAC (group, resource, verb) an API request needs.</summary>
    private static (string Group, string Resource, string Verb) ToPermission(string request)
    {
        var (method, target) = (request[..request.IndexOf(' ', StringComparison.Ordinal)], request[(request.IndexOf(' ', StringComparison.Ordinal) + 1)..]);
        var path = target.Split('?')[0].Trim('/').Split('/');
        var group = path[0] == "api" ? string.Empty : path[1];
        var resource = path[^1];
        var watch = target.Contains("watch=true", StringComparison.Ordinal) || target.Contains("watch=1", StringComparison.Ordinal);
        Assert.Equal("GET", method);
        return (group, resource, watch ? "watch" : "list");
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Kedge.Client.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Kedge.Client.sln not found above " + AppContext.BaseDirectory);
    }
}

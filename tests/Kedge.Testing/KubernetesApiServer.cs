using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Kedge.Testing;

/// <summary>
/// A Kubernetes API server on loopback that speaks list and watch the way KubernetesClient expects: lists carry
/// <c>metadata.resourceVersion</c>; <c>?watch=1</c> answers with newline-delimited JSON events (ADDED, MODIFIED,
/// DELETED, BOOKMARK) flushed one by one, replayed from the requested resource version; a version older than the
/// compaction point gets an ERROR event with a 410 Status; streams end after <c>timeoutSeconds</c>. Bearer tokens are
/// checked, label selectors (<c>k</c>, <c>k=v</c>, <c>k!=v</c>, <c>!k</c>) applied, and the server can go down (connections
/// refused) and come back on the same port with its data. Serves EndpointSlices (discovery.k8s.io/v1) and Services (v1).
/// </summary>
public sealed class KubernetesApiServer : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Resource, string Namespace, string Name), string> _objects = [];
    private readonly List<(long Version, string Resource, string Namespace, string Type, string Json, IDictionary<string, string>? Labels)> _history = [];
    private readonly List<WatchStream> _watches = [];
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly X509Certificate2? _certificate;
    private readonly ILoggerProvider? _logs;
    private WebApplication? _app;
    private long _version = 100;
    private long _compactedBelow;

    private KubernetesApiServer(X509Certificate2? certificate, ILoggerProvider? logs)
    {
        _certificate = certificate;
        _logs = logs;
    }

    /// <summary><c>https://127.0.0.1:port</c> (or http without a certificate).</summary>
    public string Url => $"{(_certificate is null ? "http" : "https")}://127.0.0.1:{Port}";

    public int Port { get; private set; }

    /// <summary>The bearer token every request must carry; null: no check.</summary>
    public string? RequiredToken { get; set; }

    /// <summary>
    /// Verbs refused on resources, as RBAC would: <c>("endpointslices", "list")</c> answers 403 Forbidden with the API
    /// server's message naming <see cref="User"/>, the verb, the resource and the namespace. Verbs are <c>list</c> and
    /// <c>watch</c>; SelfSubjectAccessReviews (<c>kubectl auth can-i</c>) are answered from the same set.
    /// </summary>
    public ConcurrentDictionary<(string Resource, string Verb), bool> Forbidden { get; } = new();

    /// <summary>The identity 403 messages name (the API server names the caller). Default <c>system:serviceaccount:kedge:kedge</c>.</summary>
    public string User { get; set; } = "system:serviceaccount:kedge:kedge";

    /// <summary>Requests seen, as <c>METHOD path?query</c>.</summary>
    public IReadOnlyCollection<string> Requests => _requests;

    /// <summary>Watch requests that are streaming right now.</summary>
    public int ActiveWatches
    {
        get
        {
            lock (_lock)
            {
                return _watches.Count;
            }
        }
    }

    public string CurrentResourceVersion => Interlocked.Read(ref _version).ToString(CultureInfo.InvariantCulture);

    public static async Task<KubernetesApiServer> StartAsync(X509Certificate2? certificate = null, ILoggerProvider? logs = null)
    {
        var server = new KubernetesApiServer(certificate, logs);
        await server.StartOnPortAsync(0);
        return server;
    }

    /// <summary>Stops listening and cuts every watch: clients see connection failures until <see cref="ComeBackAsync"/>.</summary>
    public async Task GoDownAsync()
    {
        var app = _app;
        _app = null;
        if (app is not null)
        {
            lock (_lock)
            {
                foreach (var watch in _watches)
                {
                    watch.Events.Writer.TryComplete();
                }
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await app.StopAsync(timeout.Token);
            await app.DisposeAsync();
        }
    }

    /// <summary>Listens again on the same port, with the same objects.</summary>
    public Task ComeBackAsync() => StartOnPortAsync(Port);

    /// <summary>Creates or replaces an object (ADDED or MODIFIED event). Returns its new resource version.</summary>
    public string Apply(V1EndpointSlice slice)
    {
        slice.ApiVersion = "discovery.k8s.io/v1";
        slice.Kind = "EndpointSlice";
        slice.AddressType ??= "IPv4";
        return Store("endpointslices", slice.Metadata, () => KubernetesJson.Serialize(slice));
    }

    /// <inheritdoc cref="Apply(V1EndpointSlice)"/>
    public string Apply(V1Service service)
    {
        service.ApiVersion = "v1";
        service.Kind = "Service";
        return Store("services", service.Metadata, () => KubernetesJson.Serialize(service));
    }

    /// <summary>Deletes an EndpointSlice (DELETED event).</summary>
    public void DeleteEndpointSlice(string ns, string name) => Delete("endpointslices", ns, name);

    /// <summary>Deletes a Service (DELETED event).</summary>
    public void DeleteService(string ns, string name) => Delete("services", ns, name);

    /// <summary>Forgets the event history: a watch resuming from an older version gets 410 Gone (as after etcd compaction).</summary>
    public void Compact()
    {
        lock (_lock)
        {
            _compactedBelow = _version;
            _history.Clear();
        }
    }

    /// <summary>Sends an ERROR event with a 410 Status on every open watch, then closes them.</summary>
    public void ExpireWatches()
    {
        lock (_lock)
        {
            Compact();
            foreach (var watch in _watches)
            {
                watch.Events.Writer.TryWrite(GoneEvent(watch.From));
                watch.Events.Writer.TryComplete();
            }
        }
    }

    /// <summary>
    /// The next change is stored as usual but every open watch receives a line that cannot be decoded in its place (a
    /// corrupted event: a client that skips it loses the change unless it lists again).
    /// </summary>
    public bool CorruptNextEvent { get; set; }

    /// <summary>Ends every open watch cleanly (as the API server does at timeoutSeconds).</summary>
    public void CloseWatches()
    {
        lock (_lock)
        {
            foreach (var watch in _watches)
            {
                watch.Events.Writer.TryComplete();
            }
        }
    }

    /// <summary>Sends a BOOKMARK with the current resource version on every open watch that asked for bookmarks.</summary>
    public void SendBookmarks()
    {
        lock (_lock)
        {
            foreach (var watch in _watches.Where(w => w.Bookmarks))
            {
                var kind = watch.Resource == "services" ? "\"kind\":\"Service\",\"apiVersion\":\"v1\"" : "\"kind\":\"EndpointSlice\",\"apiVersion\":\"discovery.k8s.io/v1\"";
                watch.Events.Writer.TryWrite($"{{\"type\":\"BOOKMARK\",\"object\":{{{kind},\"metadata\":{{\"resourceVersion\":\"{_version}\"}}}}}}");
            }
        }
    }

    /// <summary>An EndpointSlice of <paramref name="service"/> with the given ports and endpoints.</summary>
    public static V1EndpointSlice Slice(string ns, string service, string name, IEnumerable<(string? Name, int Port)> ports, IEnumerable<(string Address, bool? Ready, bool? Terminating)> endpoints)
        => new()
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service } },
            AddressType = "IPv4",
            Ports = ports.Select(p => new Discoveryv1EndpointPort { Name = p.Name, Port = p.Port, Protocol = "TCP" }).ToList(),
            Endpoints = endpoints.Select(e => new V1Endpoint { Addresses = [e.Address], Conditions = new V1EndpointConditions { Ready = e.Ready, Serving = e.Ready, Terminating = e.Terminating } }).ToList(),
        };

    /// <summary>A Service with labels, annotations and ports (name, port, target port).</summary>
    public static V1Service Service(string ns, string name, IDictionary<string, string>? labels, IDictionary<string, string>? annotations, params (string? Name, int Port, string? TargetPort)[] ports)
        => new()
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels, Annotations = annotations },
            Spec = new V1ServiceSpec
            {
                Ports = ports.Select(p => new V1ServicePort
                {
                    Name = p.Name,
                    Port = p.Port,
                    TargetPort = p.TargetPort is null ? null : int.TryParse(p.TargetPort, out var n) ? (IntOrString)n : (IntOrString)p.TargetPort,
                }).ToList(),
            },
        };

    public async ValueTask DisposeAsync() => await GoDownAsync();

    private string Store(string resource, V1ObjectMeta metadata, Func<string> serialize)
    {
        lock (_lock)
        {
            var version = (++_version).ToString(CultureInfo.InvariantCulture);
            metadata.NamespaceProperty ??= "default";
            metadata.ResourceVersion = version;
            var key = (resource, metadata.NamespaceProperty, metadata.Name);
            var type = _objects.ContainsKey(key) ? "MODIFIED" : "ADDED";
            if (type == "ADDED")
            {
                metadata.CreationTimestamp ??= DateTime.UtcNow.AddSeconds(_version - 1_000_000);
                metadata.Uid ??= Guid.NewGuid().ToString();
            }

            var json = serialize();
            _objects[key] = json;
            Publish(_version, resource, metadata.NamespaceProperty, type, json, metadata.Labels);
            return version;
        }
    }

    private void Delete(string resource, string ns, string name)
    {
        lock (_lock)
        {
            if (!_objects.Remove((resource, ns, name), out var json))
            {
                return;
            }

            // The DELETED event carries the object at a new resource version, as the real server does.
            var node = System.Text.Json.Nodes.JsonNode.Parse(json)!;
            node["metadata"]!["resourceVersion"] = (++_version).ToString(CultureInfo.InvariantCulture);
            var labels = node["metadata"]!["labels"]?.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>());
            Publish(_version, resource, ns, "DELETED", node.ToJsonString(), labels);
        }
    }

    private void Publish(long version, string resource, string ns, string type, string json, IDictionary<string, string>? labels)
    {
        _history.Add((version, resource, ns, type, json, labels));
        var corrupt = CorruptNextEvent;
        CorruptNextEvent = false;
        foreach (var watch in _watches.Where(w => w.Matches(resource, ns, labels)))
        {
            watch.Events.Writer.TryWrite(corrupt ? $"{{\"type\":\"{type}\",\"object\":{{\"metadata\":" : $"{{\"type\":\"{type}\",\"object\":{json}}}");
        }
    }

    private async Task StartOnPortAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(KubernetesApiServer).Assembly.GetName().Name });
        builder.Logging.ClearProviders();
        if (_logs is not null)
        {
            builder.Logging.AddProvider(_logs);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, port, listen =>
            {
                if (_certificate is not null)
                {
                    listen.UseHttps(new HttpsConnectionAdapterOptions { ServerCertificate = _certificate });
                }
            });
        });
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
        Port = new Uri(app.Urls.First()).Port;
        _app = app;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        _requests.Enqueue($"{request.Method} {request.Path}{request.QueryString}");
        if (RequiredToken is { } token && request.Headers.Authorization.ToString() != "Bearer " + token)
        {
            await WriteStatusAsync(context, 401, "Unauthorized", "Unauthorized");
            return;
        }

        if (request.Path.Value?.TrimEnd('/') == "/version")
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("{\"major\":\"1\",\"minor\":\"30\",\"gitVersion\":\"v1.30.0-kedge-test\",\"platform\":\"linux/amd64\"}");
            return;
        }

        if (request.Method == "POST" && request.Path.Value == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")
        {
            await WriteAccessReviewAsync(context);
            return;
        }

        if (!TryRoute(request.Path.Value ?? string.Empty, out var resource, out var ns))
        {
            await WriteStatusAsync(context, 404, "NotFound", $"the server could not find the requested resource ({request.Path})");
            return;
        }

        var selector = LabelSelector.Parse(request.Query["labelSelector"].ToString());
        var watch = request.Query["watch"].ToString() is "1" or "true";
        var verb = watch ? "watch" : "list";
        if (Forbidden.ContainsKey((resource, verb)))
        {
            var (group, qualified) = resource == "services" ? (string.Empty, "services") : ("discovery.k8s.io", "endpointslices.discovery.k8s.io");
            var scope = ns is null ? "at the cluster scope" : $"in the namespace \\\"{ns}\\\"";
            await WriteStatusAsync(context, 403, "Forbidden", $"{qualified} is forbidden: User \\\"{User}\\\" cannot {verb} resource \\\"{resource}\\\" in API group \\\"{group}\\\" {scope}");
            return;
        }

        if (!watch)
        {
            await WriteListAsync(context, resource, ns, selector);
            return;
        }

        _ = long.TryParse(request.Query["resourceVersion"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var from);
        var timeout = int.TryParse(request.Query["timeoutSeconds"].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromMinutes(30);
        var stream = new WatchStream(resource, ns, selector, from, request.Query["allowWatchBookmarks"].ToString() is "true" or "1");
        lock (_lock)
        {
            if (from > 0 && from < _compactedBelow)
            {
                stream.Events.Writer.TryWrite(GoneEvent(from));
                stream.Events.Writer.TryComplete();
            }
            else
            {
                foreach (var past in _history.Where(h => h.Version > from && stream.Matches(h.Resource, h.Namespace, h.Labels)))
                {
                    stream.Events.Writer.TryWrite($"{{\"type\":\"{past.Type}\",\"object\":{past.Json}}}");
                }

                _watches.Add(stream);
            }
        }

        try
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.StartAsync();
            using var timer = new CancellationTokenSource(timeout);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, context.RequestAborted);
            await foreach (var line in stream.Events.Reader.ReadAllAsync(linked.Token))
            {
                await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"), linked.Token);
                await context.Response.Body.FlushAsync(linked.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // timeoutSeconds reached or the client went away: the stream ends.
        }
        finally
        {
            lock (_lock)
            {
                _watches.Remove(stream);
            }
        }
    }

    private async Task WriteListAsync(HttpContext context, string resource, string? ns, LabelSelector selector)
    {
        string body;
        lock (_lock)
        {
            var items = _objects
                .Where(o => o.Key.Resource == resource && (ns is null || o.Key.Namespace == ns))
                .OrderBy(o => o.Key.Namespace, StringComparer.Ordinal).ThenBy(o => o.Key.Name, StringComparer.Ordinal)
                .Select(o => o.Value)
                .Where(json => selector.Matches(LabelsOf(json)));
            var (apiVersion, kind) = resource == "services" ? ("v1", "ServiceList") : ("discovery.k8s.io/v1", "EndpointSliceList");
            body = $"{{\"kind\":\"{kind}\",\"apiVersion\":\"{apiVersion}\",\"metadata\":{{\"resourceVersion\":\"{_version}\"}},\"items\":[{string.Join(',', items)}]}}";
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }

    /// <summary>A SelfSubjectAccessReview answered from <see cref="Forbidden"/>, as <c>kubectl auth can-i</c> gets it.</summary>
    private async Task WriteAccessReviewAsync(HttpContext context)
    {
        var review = (await System.Text.Json.Nodes.JsonNode.ParseAsync(context.Request.Body))!;
        var attributes = review["spec"]?["resourceAttributes"];
        var resource = attributes?["resource"]?.GetValue<string>() ?? string.Empty;
        var verb = attributes?["verb"]?.GetValue<string>() ?? string.Empty;
        var allowed = !Forbidden.ContainsKey((resource, verb));
        review["status"] = new System.Text.Json.Nodes.JsonObject { ["allowed"] = allowed, ["reason"] = allowed ? "RBAC: allowed" : string.Empty };
        context.Response.StatusCode = 201;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(review.ToJsonString());
    }

    private static IDictionary<string, string>? LabelsOf(string json)
        => System.Text.Json.Nodes.JsonNode.Parse(json)!["metadata"]?["labels"]?.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>());

    private static bool TryRoute(string path, out string resource, out string? ns)
    {
        var parts = path.Trim('/').Split('/');
        resource = string.Empty;
        ns = null;

        // /api/v1/[namespaces/{ns}/]services, /apis/discovery.k8s.io/v1/[namespaces/{ns}/]endpointslices
        var rest = parts switch
        {
            ["api", "v1", .. var tail] => tail,
            ["apis", "discovery.k8s.io", "v1", .. var tail] => tail,
            _ => null,
        };
        switch (rest)
        {
            case ["namespaces", var n, var r]:
                ns = n;
                resource = r;
                break;
            case [var r]:
                resource = r;
                break;
            default:
                return false;
        }

        return (resource == "services" && parts[0] == "api") || (resource == "endpointslices" && parts[0] == "apis");
    }

    private static string GoneEvent(long from)
        => $"{{\"type\":\"ERROR\",\"object\":{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{{}},\"status\":\"Failure\",\"message\":\"too old resource version: {from}\",\"reason\":\"Expired\",\"code\":410}}}}";

    private static async Task WriteStatusAsync(HttpContext context, int code, string reason, string message)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync($"{{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{{}},\"status\":\"Failure\",\"message\":\"{message}\",\"reason\":\"{reason}\",\"code\":{code}}}");
    }

    private sealed class WatchStream(string resource, string? ns, LabelSelector selector, long from, bool bookmarks)
    {
        public string Resource { get; } = resource;

        public long From { get; } = from;

        public bool Bookmarks { get; } = bookmarks;

        public Channel<string> Events { get; } = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

        public bool Matches(string resource, string ns2, IDictionary<string, string>? labels)
            => resource == Resource && (ns is null || ns == ns2) && selector.Matches(labels);
    }
}

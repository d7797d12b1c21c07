using System.Net;
using System.Net.Http.Headers;

namespace Kedge.Client.Http;

/// <summary>
/// What the handler changes on the caller's request to send it to kedge, and how to put it back, so that retries,
/// redirects and the caller see the request as they built it. Only what is changed is saved.
/// </summary>
internal readonly struct CallerRequestState
{
    private const string HostHeader = "Host";
    private const string ProxyAuthorizationHeader = "Proxy-Authorization";
    private const string AuthorizationHeader = "Authorization";

    private readonly Uri _uri;
    private readonly string? _callerHost;
    private readonly Version? _callerVersion;
    private readonly HttpVersionPolicy _callerVersionPolicy;
    private readonly string[]? _callerProxyAuthorization;
    private readonly string[]? _callerAuthorization;
    private readonly Changes _changes;

    private CallerRequestState(Uri uri, string? callerHost, Version? callerVersion, HttpVersionPolicy callerVersionPolicy, string[]? callerProxyAuthorization, string[]? callerAuthorization, Changes changes)
    {
        _uri = uri;
        _callerHost = callerHost;
        _callerVersion = callerVersion;
        _callerVersionPolicy = callerVersionPolicy;
        _callerProxyAuthorization = callerProxyAuthorization;
        _callerAuthorization = callerAuthorization;
        _changes = changes;
    }

    [Flags]
    private enum Changes : byte
    {
        None = 0,
        Version = 1,
        ProxyAuthorization = 2,
        Authorization = 4,
    }

    /// <summary>Points the request at kedge with the target's authority and the route's tokens.</summary>
    public static CallerRequestState Redirect(HttpRequestMessage request, KedgeTarget target, string? proxyAuthorization, string? backendAuthorization)
        => Redirect(request, target, target.Kedges[0], proxyAuthorization, backendAuthorization);

    /// <summary>Points the request at <paramref name="kedge"/> (one of the target's kedges) with the target's authority and the route's tokens.</summary>
    public static CallerRequestState Redirect(HttpRequestMessage request, KedgeTarget target, Failover.KedgeEndpoint kedge, string? proxyAuthorization, string? backendAuthorization)
    {
        var uri = request.RequestUri!;
        var changes = Changes.None;

        // A Host the caller set explicitly is put back afterwards; kedge routes by the URI's authority.
        // Raw values: a Host the caller set is put back exactly, even one that would not pass validation.
        string? callerHost = null;
        if (request.Headers.NonValidated.TryGetValues(HostHeader, out var hostValues))
        {
            callerHost = hostValues.ToString();
            request.Headers.Remove(HostHeader);
        }

        request.RequestUri = kedge.CreateRequestUri(uri);
        request.Headers.TryAddWithoutValidation(HostHeader, target.Authority);

        // The URI's scheme is http (the connection factory does the TLS), and SocketsHttpHandler would send an http URI
        // as HTTP/1.1 unless the version is exact. The ALPN offered to kedge follows this version.
        var version = request.Version;
        var policy = request.VersionPolicy;
        if (version.Major >= 2 && (version.Major > 2 || policy != HttpVersionPolicy.RequestVersionExact))
        {
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            changes |= Changes.Version;
        }
        else if (version.Major < 2 && policy == HttpVersionPolicy.RequestVersionOrHigher)
        {
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
            changes |= Changes.Version;
        }

        string[]? callerProxyAuthorization = null;
        if (proxyAuthorization is not null)
        {
            callerProxyAuthorization = Replace(request.Headers, ProxyAuthorizationHeader, proxyAuthorization);
            changes |= Changes.ProxyAuthorization;
        }

        // A tunnel's CONNECT ends at kedge: the backend token would have no request to go with, so it is not sent.
        string[]? callerAuthorization = null;
        if (backendAuthorization is not null && !request.Options.TryGetValue(KedgeClient.TunnelRequest, out _))
        {
            callerAuthorization = Replace(request.Headers, AuthorizationHeader, backendAuthorization);
            changes |= Changes.Authorization;
        }

        return new CallerRequestState(uri, callerHost, version, policy, callerProxyAuthorization, callerAuthorization, changes);
    }

    /// <summary>Puts the caller's URI, Host, version and credentials back.</summary>
    public void Restore(HttpRequestMessage request)
    {
        if (_uri is null)
        {
            return; // nothing was changed
        }

        request.RequestUri = _uri;
        request.Headers.Remove(HostHeader);
        if (_callerHost is not null)
        {
            request.Headers.TryAddWithoutValidation(HostHeader, _callerHost);
        }

        if ((_changes & Changes.Version) != 0)
        {
            request.Version = _callerVersion!;
            request.VersionPolicy = _callerVersionPolicy;
        }

        if ((_changes & Changes.ProxyAuthorization) != 0)
        {
            Put(request.Headers, ProxyAuthorizationHeader, _callerProxyAuthorization);
        }

        if ((_changes & Changes.Authorization) != 0)
        {
            Put(request.Headers, AuthorizationHeader, _callerAuthorization);
        }
    }

    /// <summary>Sets a header to <paramref name="value"/> and returns its previous raw values.</summary>
    private static string[]? Replace(HttpRequestHeaders headers, string name, string value)
    {
        string[]? previous = null;
        if (headers.NonValidated.TryGetValues(name, out var values))
        {
            previous = [.. values];
            headers.Remove(name);
        }

        headers.TryAddWithoutValidation(name, value);
        return previous;
    }

    /// <summary>Puts a header's raw values back (or removes it when the caller had none).</summary>
    private static void Put(HttpRequestHeaders headers, string name, string[]? values)
    {
        headers.Remove(name);
        if (values is not null)
        {
            headers.TryAddWithoutValidation(name, values);
        }
    }
}

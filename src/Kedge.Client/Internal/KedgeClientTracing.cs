using System.Diagnostics;
using Kedge.Client.Http;

namespace Kedge.Client.Internal;

/// <summary>Kedge.Client's client span per call through kedge (<see cref="KedgeClientDiagnostics.ActivitySourceName"/>).</summary>
internal static class KedgeClientTracing
{
    public static readonly ActivitySource Source = new(KedgeClientDiagnostics.ActivitySourceName);

    /// <summary>Starts the span for a call to <paramref name="target"/>'s kedge; null when nothing samples it.</summary>
    public static Activity? Start(HttpRequestMessage request, KedgeTarget target)
    {
        var method = MethodTag(request.Method.Method);
        Activity? activity;
        if (Activity.Current is { } current && IsLegacy(current))
        {
            // grpc-dotnet (and ASP.NET Core when nothing samples it) keep a bare Activity current that no exporter
            // records; the span hangs under the nearest one that is recorded, or the remote parent, so the trace stays whole.
            var ancestor = RecordedAncestor(current);
            var parent = !IsLegacy(ancestor) ? ancestor.Context
                : ancestor.ParentSpanId != default ? new ActivityContext(ancestor.TraceId, ancestor.ParentSpanId, ancestor.ActivityTraceFlags, ancestor.TraceStateString, isRemote: true)
                : default;
            if (parent == default)
            {
                Activity.Current = null;
            }

            activity = Source.StartActivity("kedge " + method, ActivityKind.Client, parent);
            if (activity is null)
            {
                Activity.Current = current;
            }
        }
        else
        {
            activity = Source.StartActivity("kedge " + method, ActivityKind.Client);
        }

        if (activity is null)
        {
            return null;
        }

        if (activity.IsAllDataRequested)
        {
            var route = target.Route!;
            activity.SetTag("kedge.target", target.Authority);
            activity.SetTag("kedge.url", target.KedgeUrl);
            activity.SetTag("kedge.mapping_rule", target.MappingRule);
            activity.SetTag("http.request.method", method);
            activity.SetTag("server.address", route.KedgeUrl.IdnHost);
            activity.SetTag("server.port", route.KedgeUrl.Port);
        }

        return activity;
    }

    /// <summary>
    /// The activity whose context goes to kedge when Kedge.Client has no span of its own: past bare activities (see
    /// <see cref="Start"/>) to the nearest one an ActivitySource created, or the outermost bare one.
    /// </summary>
    public static Activity RecordedAncestor(Activity current)
    {
        var activity = current;
        while (IsLegacy(activity) && activity.Parent is { } parent)
        {
            activity = parent;
        }

        return activity;
    }

    /// <summary>An activity made with <c>new Activity(name)</c> rather than by an ActivitySource a listener sampled.</summary>
    private static bool IsLegacy(Activity activity) => activity.Source.Name.Length == 0;

    /// <summary>Records kedge's answer: the status and, when kedge refused the call or the status is an error, why.</summary>
    public static void Complete(Activity activity, HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        activity.SetTag("http.response.status_code", status);

        // A trailers-only gRPC answer (a refusal) has its status in the headers; a call's own status comes later, in trailers.
        var grpcStatus = response.Headers.NonValidated.TryGetValues(Kedge.Common.GrpcTrailersOnly.StatusHeader, out var grpc)
            && int.TryParse(grpc.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code) ? code : (int?)null;
        if (grpcStatus is not null)
        {
            activity.SetTag("rpc.grpc.status_code", grpcStatus);
        }

        var kedgeErrorType = response.Headers.NonValidated.TryGetValues(Kedge.Common.KedgeHeaders.ErrorType, out var types) ? types.ToString() : null;
        if (kedgeErrorType is { Length: > 0 })
        {
            activity.SetTag("error.type", kedgeErrorType);
            activity.SetStatus(ActivityStatusCode.Error, response.Headers.NonValidated.TryGetValues(Kedge.Common.KedgeHeaders.Error, out var message) ? message.ToString() : null);
        }
        else if (grpcStatus is > 0)
        {
            activity.SetTag("error.type", ((global::Grpc.Core.StatusCode)grpcStatus.Value).ToString());
            activity.SetStatus(ActivityStatusCode.Error);
        }
        else if (status >= 400)
        {
            // As the OpenTelemetry HTTP client conventions: the status code is the error type of an error answer.
            activity.SetTag("error.type", status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetStatus(ActivityStatusCode.Error);
        }
    }

    /// <summary>
    /// The method for span names and <c>http.request.method</c>, as kedge and OpenTelemetry's HTTP conventions have it:
    /// the known methods as they are, anything else <c>_OTHER</c> (a caller could invent any number).
    /// </summary>
    private static string MethodTag(string method) => method switch
    {
        "GET" or "POST" or "PUT" or "DELETE" or "HEAD" or "OPTIONS" or "PATCH" or "TRACE" or "CONNECT" => method,
        _ => "_OTHER",
    };

    /// <summary>Records a call that got no answer from kedge.</summary>
    public static void Fail(Activity activity, Exception exception)
    {
        activity.SetTag("error.type", exception is OperationCanceledException ? "cancelled" : exception.GetType().FullName);
        activity.SetStatus(ActivityStatusCode.Error, exception.Message);
    }
}

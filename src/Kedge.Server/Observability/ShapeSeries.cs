using Prometheus;

namespace Kedge.Server.Observability;

/// <summary>The series of one <see cref="RequestShape"/> on a route; the Go <c>http_handler_*</c> children only for HTTP routes.</summary>
internal sealed record ShapeSeries(Histogram.Child SemconvDuration, Counter.Child? HandlerStarted, Counter.Child? HandlerCompleted);

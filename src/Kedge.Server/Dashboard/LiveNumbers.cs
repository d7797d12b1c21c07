namespace Kedge.Server.Dashboard;

/// <summary>A route's live numbers over <see cref="RouteLiveStats.WindowSeconds"/> seconds.</summary>
internal readonly record struct LiveNumbers(double RequestsPerSecond, double ErrorsPerSecond, long Requests, long Errors, double? P99Seconds);

namespace Kedge.Winch.Auth;

/// <summary>
/// One run of an asynchronous operation at a time, shared by every caller that asks while it runs (a token refresh, an
/// exec plugin); a caller that gives up does not cancel it for the others. <c>completed</c> hears how each run ended
/// (a token source counts its refreshes and records the last success or error with it).
/// </summary>
internal sealed class SingleFlight<T>(Func<Task<T>> run, Action<Task<T>>? completed = null)
{
    private readonly Lock _gate = new();
    private Task<T>? _current;

    public Task<T> RunAsync()
    {
        lock (_gate)
        {
            if (_current is null || _current.IsCompleted)
            {
                _current = run();
                if (completed is not null)
                {
                    _current.ContinueWith(static (task, state) => ((Action<Task<T>>)state!)(task), completed, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
            }

            return _current;
        }
    }
}

namespace Kedge.Winch.Internal;

/// <summary>The one way winch's check lines quote an exception: every distinct message down the inner chain.</summary>
internal static class ExceptionMessages
{
    /// <summary><c>outer: inner: innermost</c>, repeated messages once.</summary>
    public static string Chain(Exception ex)
    {
        var messages = new List<string>();
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        return string.Join(": ", messages.Distinct());
    }
}

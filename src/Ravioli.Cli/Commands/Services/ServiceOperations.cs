using System.Globalization;
using System.Net;
using System.Text.Json;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;

namespace Ravioli.Cli.Commands.Services;

/// <summary>Where a broker operation ended up: the resource as last seen (null once a delete finished), and whether it still runs.</summary>
internal sealed record OperationResult(JsonElement? Resource, bool InProgress)
{
    public JsonElement Json => Resource ?? Http.Json.Null;
}

/// <summary>
/// Follows the broker operations the platform runs in the background (provision, update, bind, unbind,
/// deprovision): the API answers at once with <c>last_operation.state = "in progress"</c>, and <c>--wait</c>
/// polls the resource until that changes, showing each change on the way.
/// </summary>
internal static class ServiceOperations
{
    /// <summary>How often <c>--wait</c> asks; brokers take seconds to minutes, so once a second is plenty.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Finishes a create or update whose answer was <paramref name="answer"/>: waits when asked, and turns a
    /// failed operation into an error carrying the broker's description.
    /// </summary>
    /// <param name="path">The resource, to poll.</param>
    /// <param name="subject">What it is, for messages: "service instance mydb".</param>
    /// <param name="whenFailed">What to do about a failed operation, added to its error: the failed resource stays until deleted.</param>
    public static async Task<OperationResult> FinishAsync(
        CliSession session, string path, JsonElement answer, bool wait, string subject, string? whenFailed, CancellationToken cancellationToken)
    {
        var result = new OperationResult(answer, LastOperationOf(answer)?.IsInProgress == true);
        if (result.InProgress && wait)
        {
            result = await WaitAsync(session, path, answer, cancellationToken);
            if (result.Resource is null)
            {
                throw new CliException($"{Capitalize(subject)} was deleted while the operation ran (by someone else, or a purge).");
            }
        }

        ThrowIfFailed(result, subject, whenFailed);
        return result;
    }

    /// <summary>Sends a DELETE and finishes it: <c>204</c> is done, <c>202</c> runs at the broker (waited for when asked).</summary>
    public static async Task<OperationResult> DeleteAsync(
        CliSession session, string path, bool wait, string subject, CancellationToken cancellationToken)
    {
        var answer = await session.Api.DeleteAsync(path, cancellationToken);
        if (answer is not { ValueKind: JsonValueKind.Object } resource)
        {
            return new OperationResult(null, InProgress: false);
        }

        var result = new OperationResult(resource, LastOperationOf(resource)?.IsInProgress == true);
        if (result.InProgress && wait)
        {
            result = await WaitAsync(session, path, resource, cancellationToken);
        }

        ThrowIfFailed(result, subject, null);

        // A delete that is no longer running and did not fail is done, even if the last poll still saw the resource.
        return result.InProgress ? result : new OperationResult(null, InProgress: false);
    }

    /// <summary>Polls until the operation is no longer in progress; a resource that answers 404 is gone (a finished delete).</summary>
    public static async Task<OperationResult> WaitAsync(CliSession session, string path, JsonElement current, CancellationToken cancellationToken)
    {
        var ui = session.Ui;
        ui.Say("Waiting for the operation to complete...");
        var shown = Describe(LastOperationOf(current));
        ui.Say(shown);
        while (LastOperationOf(current) is { IsInProgress: true })
        {
            await Task.Delay(PollInterval, cancellationToken);
            try
            {
                current = await session.Api.GetAsync(path, cancellationToken);
            }
            catch (ApiException e) when (e.Status == HttpStatusCode.NotFound)
            {
                ui.Say($"   {LastOperationOf(current)?.Type ?? "delete"} {LastOperation.Succeeded}");
                return new OperationResult(null, InProgress: false);
            }

            var line = Describe(LastOperationOf(current));
            if (line != shown)
            {
                ui.Say(line);
                shown = line;
            }
        }

        return new OperationResult(current, InProgress: false);
    }

    public static LastOperation? LastOperationOf(JsonElement resource)
        => resource.ValueKind == JsonValueKind.Object
            && resource.TryGetProperty("last_operation", out var operation)
            && operation.ValueKind == JsonValueKind.Object
                ? Json.As<LastOperation>(operation)
                : null;

    /// <summary>"create in progress: Creating the database", one line per change while waiting.</summary>
    public static string Describe(LastOperation? operation)
        => operation is null
            ? "   (no operation reported)"
            : string.IsNullOrWhiteSpace(operation.Description)
                ? $"   {operation.Status}"
                : $"   {operation.Status}: {operation.Description.Trim()}";

    /// <summary>"Create in progress. Use 'rav services' or 'rav service mydb' to check operation status."</summary>
    public static string InProgressMessage(string type, string check) => $"{Capitalize(type)} in progress. Use {check} to check operation status.";

    private static void ThrowIfFailed(OperationResult result, string subject, string? whenFailed)
    {
        if (result.Resource is { } resource && LastOperationOf(resource) is { IsFailed: true } operation)
        {
            var reason = string.IsNullOrWhiteSpace(operation.Description) ? "the broker gave no reason" : operation.Description.Trim().TrimEnd('.');
            var message = $"{Capitalize(operation.Type ?? "The operation")} of {subject} failed: {reason}.";

            // Only a failed create leaves a resource that is of no use and must go before trying again.
            throw new CliException(whenFailed is null || operation.Type != "create" ? message : $"{message} {whenFailed}");
        }
    }

    private static string Capitalize(string text)
        => text.Length == 0 ? text : char.ToUpper(text[0], CultureInfo.InvariantCulture) + text[1..];
}

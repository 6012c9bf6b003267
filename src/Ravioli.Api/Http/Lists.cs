using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Http;

public sealed record Link(string Href);

public sealed record GuidRef(string Guid);

public sealed record ToOne(GuidRef? Data)
{
    public static ToOne Of(string? guid) => new(guid is null ? null : new GuidRef(guid));
}

public sealed record ToMany(IReadOnlyList<GuidRef> Data);

public sealed record Pagination(int TotalResults, int TotalPages, int Page, int PerPage, Link First, Link Last, Link? Next, Link? Previous);

public sealed record Page<T>(Pagination Pagination, IReadOnlyList<T> Resources)
{
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public object? Included { get; init; }
}

/// <summary>The list query parameters of the v3 API: paging, ordering and comma-separated filters.</summary>
public sealed class ListQuery
{
    public const int MaxPerPage = 5000;
    private static readonly string[] Paging = ["page", "per_page", "order_by"];
    private static readonly string[] OrderFields = ["created_at", "updated_at", "name"];

    private readonly Dictionary<string, string[]> _filters = [];

    public int Page { get; private init; } = 1;
    public int PerPage { get; private init; } = 50;
    public string OrderBy { get; private init; } = "created_at";
    public bool Descending { get; private init; }

    /// <summary>The values of a comma-separated filter, or null when the filter was not given.</summary>
    public string[]? Filter(string name) => _filters.TryGetValue(name, out var values) ? values : null;

    public string? Single(string name) => _filters.TryGetValue(name, out var values) ? string.Join(",", values) : null;

    public static ListQuery Parse(HttpRequest request, params string[] allowed)
    {
        var errors = new FieldErrors();
        foreach (var key in request.Query.Keys)
        {
            if (!Paging.Contains(key) && !allowed.Contains(key))
            {
                errors.Add(key, $"is not a known query parameter here; known: {string.Join(", ", Paging.Concat(allowed))}");
            }
        }
        var page = Int(request, "page", 1, int.MaxValue, 1, errors);
        var perPage = Int(request, "per_page", 1, MaxPerPage, 50, errors);
        var order = request.Query["order_by"].ToString();
        var descending = order.StartsWith('-');
        var field = order.TrimStart('-', '+');
        if (field.Length == 0)
        {
            field = "created_at";
        }
        else if (!OrderFields.Contains(field))
        {
            errors.Add("order_by", $"must be one of {string.Join(", ", OrderFields)}, optionally prefixed with '-'");
        }
        errors.ThrowIfAny();
        var query = new ListQuery { Page = page, PerPage = perPage, OrderBy = field, Descending = descending };
        foreach (var name in allowed)
        {
            var raw = request.Query[name].ToString();
            if (request.Query.ContainsKey(name))
            {
                // "hosts=" asks for the empty value (a route without host), not for nothing.
                query._filters[name] = raw.Length == 0 ? [""] : raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            }
        }
        return query;
    }

    private static int Int(HttpRequest request, string name, int min, int max, int fallback, FieldErrors errors)
    {
        if (!request.Query.TryGetValue(name, out var raw))
        {
            return fallback;
        }
        if (int.TryParse(raw.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value)
            && value >= min && value <= max)
        {
            return value;
        }
        errors.Add(name, $"must be a whole number from {min} to {max}");
        return fallback;
    }
}

public static class Lists
{
    /// <summary>
    /// Applies a comma-separated filter (`names=a,b`) as an IN on <paramref name="field"/>; without the filter the
    /// query is unchanged. One expression for every list endpoint, translated to SQL by EF Core.
    /// </summary>
    public static IQueryable<T> WhereIn<T>(this IQueryable<T> source, ListQuery query, string filter, System.Linq.Expressions.Expression<Func<T, string>> field)
    {
        if (query.Filter(filter) is not { } values)
        {
            return source;
        }
        // Captured through a closure, as a hand-written lambda would: EF Core then sends the values as one parameter
        // instead of inlining them, so every filter shares one cached query.
        System.Linq.Expressions.Expression<Func<string[]>> captured = () => values;
        var contains = System.Linq.Expressions.Expression.Call(
            typeof(Enumerable), nameof(Enumerable.Contains), [typeof(string)], captured.Body, field.Body);
        return source.Where(System.Linq.Expressions.Expression.Lambda<Func<T, bool>>(contains, field.Parameters));
    }

    public static async Task<Page<TWire>> PageAsync<TEntity, TWire>(
        IQueryable<TEntity> source, ListQuery query, HttpRequest request, Func<TEntity, TWire> present, CancellationToken ct)
        where TEntity : ResourceEntity
    {
        // Named resources, and service instances and bindings (whose name lives on their operation base class).
        if (query.OrderBy == "name" && typeof(TEntity).GetProperty("Name")?.PropertyType != typeof(string))
        {
            throw ApiProblem.Invalid("order_by", "this resource has no name; order by created_at or updated_at");
        }
        var total = await source.CountAsync(ct);
        var key = query.OrderBy switch { "updated_at" => "UpdatedAt", "name" => "Name", _ => "CreatedAt" };
        var ordered = query.OrderBy == "name"
            ? (query.Descending ? source.OrderByDescending(e => EF.Property<string>(e, key)) : source.OrderBy(e => EF.Property<string>(e, key)))
            : (query.Descending ? source.OrderByDescending(e => EF.Property<DateTime>(e, key)) : source.OrderBy(e => EF.Property<DateTime>(e, key)));
        var skip = (long)(query.Page - 1) * query.PerPage;
        var items = skip >= total
            ? []
            : await ordered.ThenBy(e => e.Guid).Skip((int)skip).Take(query.PerPage).ToListAsync(ct);
        var pages = Math.Max(1, (int)Math.Ceiling(total / (double)query.PerPage));
        Link PageLink(int page) => new(QueryHelpers.AddQueryString(
            Urls.Base(request) + request.Path,
            request.Query.Where(q => q.Key is not "page" and not "per_page")
                .Select(q => new KeyValuePair<string, string?>(q.Key, q.Value.ToString()))
                .Append(new("page", page.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                .Append(new("per_page", query.PerPage.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
        var pagination = new Pagination(total, pages, query.Page, query.PerPage, PageLink(1), PageLink(pages),
            query.Page < pages ? PageLink(query.Page + 1) : null,
            query.Page > 1 ? PageLink(Math.Min(query.Page - 1, pages)) : null);
        return new Page<TWire>(pagination, items.Select(present).ToList());
    }
}

public static class Urls
{
    public static string Base(HttpRequest request) => $"{request.Scheme}://{request.Host}";

    public static Link To(HttpRequest request, string path) => new(Base(request) + path);
}

using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ravioli.Api.Tests;

/// <summary>What kind of JSON value a request field takes.</summary>
public enum FieldKind
{
    String,
    Integer,
    Boolean,
    Object,
    FreeObject,
    Map,
    List,
}

/// <summary>A field of a request record at any depth: its JSON path ("relationships.space.data.guid", lists as "[0]") and kind.</summary>
public sealed record RequestField(string Path, string Name, FieldKind Kind, Type Type)
{
    /// <summary>The element type of a list or the value type of a map.</summary>
    public Type? ElementType => Kind switch
    {
        FieldKind.List => Type.IsArray ? Type.GetElementType() : Type.GetGenericArguments()[0],
        FieldKind.Map => Type.GetGenericArguments()[1],
        _ => null,
    };
}

/// <summary>Reads the shape of the API's request records by reflection, the way System.Text.Json binds them (snake_case).</summary>
public static class RequestShapes
{
    public static string JsonName(PropertyInfo property) => JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);

    public static IReadOnlyList<PropertyInfo> Properties(Type record) =>
        [.. record.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0 && p.CanRead)];

    public static FieldKind KindOf(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return FieldKind.String;
        }
        if (type == typeof(int) || type == typeof(long))
        {
            return FieldKind.Integer;
        }
        if (type == typeof(bool))
        {
            return FieldKind.Boolean;
        }
        if (typeof(JsonNode).IsAssignableFrom(type))
        {
            return FieldKind.FreeObject;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            return FieldKind.Map;
        }
        if (type.IsArray || (type.IsGenericType && type.GetGenericTypeDefinition() is var g && (g == typeof(IReadOnlyList<>) || g == typeof(List<>))))
        {
            return FieldKind.List;
        }
        return FieldKind.Object;
    }

    /// <summary>Every field of <paramref name="request"/>, nested records and the records inside lists included (at index 0).</summary>
    public static IReadOnlyList<RequestField> Fields(Type request)
    {
        var fields = new List<RequestField>();
        Walk(request, "", fields, depth: 0);
        return fields;
    }

    private static void Walk(Type record, string prefix, List<RequestField> fields, int depth)
    {
        foreach (var property in Properties(record))
        {
            var name = JsonName(property);
            var path = prefix.Length == 0 ? name : $"{prefix}.{name}";
            var kind = KindOf(property.PropertyType);
            var field = new RequestField(path, name, kind, property.PropertyType);
            fields.Add(field);
            if (depth > 8)
            {
                continue;
            }
            if (kind == FieldKind.Object)
            {
                Walk(property.PropertyType, path, fields, depth + 1);
            }
            else if (kind == FieldKind.List && KindOf(field.ElementType!) == FieldKind.Object)
            {
                Walk(field.ElementType!, path + "[0]", fields, depth + 1);
            }
        }
    }

    /// <summary>A body holding <paramref name="value"/> at <paramref name="path"/>, with the objects and one-element lists on the way.</summary>
    public static JsonObject Place(string path, JsonNode? value)
    {
        var root = new JsonObject();
        JsonNode current = root;
        var segments = path.Split('.');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var inList = segment.EndsWith("[0]", StringComparison.Ordinal);
            var name = inList ? segment[..^3] : segment;
            var last = i == segments.Length - 1;
            JsonNode? next = last && !inList ? value : new JsonObject();
            if (inList)
            {
                var element = last ? value : new JsonObject();
                ((JsonObject)current)[name] = new JsonArray(element);
                next = element;
            }
            else
            {
                ((JsonObject)current)[name] = next;
            }
            if (!last)
            {
                current = next!;
            }
        }
        return root;
    }

    /// <summary>A value of the wrong JSON type for a field of this kind.</summary>
    public static JsonNode WrongType(FieldKind kind) => kind switch
    {
        FieldKind.String => JsonValue.Create(42),
        FieldKind.Integer => JsonValue.Create("42"),
        FieldKind.Boolean => JsonValue.Create("true"),
        FieldKind.List => new JsonObject { ["not"] = "a list" },
        _ => new JsonArray(1, 2),
    };
}

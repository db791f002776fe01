import Foundation

/// The API contract, `openapi.yaml` beside this file, shipped inside the build so that the server
/// serves exactly the spec it was built with.
public enum OpenAPISpec {
    public static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
            let data = try? Data(contentsOf: url)
        else {
            fatalError("openapi.yaml is missing from the build's resources")
        }
        return Array(data)
    }()
}

//! The product catalog through the real `products` and `product-sections` components: product
//! CRUD over HTTP (201 + Location + ETag, If-Match, 409 on a duplicate SKU, 422 from the
//! entity's hooks), the picker (active products only), the section tree (409 on deleting a
//! section in use) and a manager who may read but not write (403).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Auth, PASSWORD, assert_problem, fields, get, post, spawn_app};

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_string())
        .collect()
}

#[test]
fn products_are_created_read_changed_and_deleted_over_http() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let shelf = post(&app, &admin, "/api/product-sections", json!({"name": "Кабели"}));
    let r = app.send(
        Method::POST,
        "/api/products",
        &admin,
        Some(
            json!({"name": "Кабель медный", "sku": "CAB-001", "price": "1250.50", "vat_rate": "20",
                    "unit": "M", "section_id": shelf["id"]}),
        ),
    );
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["location"], "/api/products/1");
    assert_eq!(r.headers()["etag"], "\"1\"");
    let cable: Value = r.json().expect("product");
    assert_eq!(cable["price"], "1250.50");
    assert_eq!(cable["currency"], "RUB");
    assert_eq!(cable["vat_rate"], "20.00");
    assert_eq!(cable["active"], true);
    assert_eq!(cable["vat_included"], false);
    assert_eq!(get(&app, &admin, "/api/products/1"), cable);

    let duplicate = assert_problem(
        app.send(
            Method::POST,
            "/api/products",
            &admin,
            Some(json!({"name": "Copy", "sku": "cab-001"})),
        ),
        409,
    );
    assert!(
        duplicate["detail"].as_str().unwrap_or_default().contains("SKU"),
        "{duplicate}"
    );
    let invalid = assert_problem(
        app.send(
            Method::POST,
            "/api/products",
            &admin,
            Some(json!({"name": "Bad", "price": "-1", "vat_rate": "120", "section_id": 99})),
        ),
        422,
    );
    // Bounds are the fields' own (refused while parsing); the section is the hook's.
    assert_eq!(fields(&invalid), vec!["price", "vat_rate"]);
    let no_section = assert_problem(
        app.send(
            Method::POST,
            "/api/products",
            &admin,
            Some(json!({"name": "Bad", "section_id": 99})),
        ),
        422,
    );
    assert_eq!(fields(&no_section), vec!["section_id"]);
    assert_problem(
        app.send(
            Method::POST,
            "/api/products",
            &admin,
            Some(json!({"name": "Bad", "unit": "BARREL"})),
        ),
        422,
    );

    assert_problem(
        app.send_if_match(
            Method::PATCH,
            "/api/products/1",
            &admin,
            "\"5\"",
            json!({"price": "1.00"}),
        ),
        412,
    );
    let r = app.send_if_match(
        Method::PATCH,
        "/api/products/1",
        &admin,
        "\"1\"",
        json!({"price": "999.00", "currency": "USD", "vat_included": true}),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"2\"");
    let changed: Value = r.json().expect("product");
    assert_eq!(
        (&changed["price"], &changed["currency"], &changed["vat_included"]),
        (&json!("999.00"), &json!("USD"), &json!(true))
    );
    let listed = get(
        &app,
        &admin,
        "/api/products?q=%D0%BA%D0%B0%D0%B1%D0%B5%D0%BB&fields=id,name,sku&count=true",
    );
    assert_eq!(listed["total"], 1);
    assert_eq!(
        listed["items"][0],
        json!({"id": 1, "name": "Кабель медный", "sku": "CAB-001"})
    );
    let described = get(&app, &admin, "/api/products/fields");
    assert_eq!(described["entity"], "product");
    assert_eq!(described["default_sort"], "sort,name");
    assert_eq!(
        get(&app, &admin, "/api/products/1/timeline")["items"][0]["kind"],
        "updated"
    );

    assert_eq!(app.send(Method::DELETE, "/api/products/1", &admin, None).status(), 204);
    assert_problem(app.send(Method::GET, "/api/products/1", &admin, None), 404);
    assert_problem(app.send(Method::GET, "/api/products", &Auth::none(), None), 401);
}

#[test]
fn the_picker_offers_active_products_only() {
    let app = spawn_app();
    let admin = app.setup_admin();
    post(
        &app,
        &admin,
        "/api/products",
        json!({"name": "Кабель медный", "sku": "CAB-001", "price": "100"}),
    );
    post(
        &app,
        &admin,
        "/api/products",
        json!({"name": "Кабель старый", "sku": "CAB-OLD", "active": false}),
    );
    post(
        &app,
        &admin,
        "/api/products",
        json!({"name": "Cable tie", "sku": "TIE-1"}),
    );

    let picked = get(&app, &admin, "/api/products/picker?q=%D0%9A%D0%90%D0%91");
    assert_eq!(names(&picked), vec!["Кабель медный"], "КАБ finds the active cable only");
    assert_eq!(
        picked["items"][0],
        json!({"id": 1, "name": "Кабель медный", "sku": "CAB-001", "price": "100.00", "currency": "RUB",
               "unit": "PCS", "vat_rate": null, "vat_included": false})
    );
    assert_eq!(
        names(&get(&app, &admin, "/api/products/picker?q=cab")),
        vec!["Cable tie", "Кабель медный"]
    );
    assert_eq!(
        names(&get(&app, &admin, "/api/products/picker?limit=1")),
        vec!["Cable tie"]
    );
    assert!(names(&get(&app, &admin, "/api/products/picker?q=cab-old")).is_empty());
    assert_eq!(
        get(&app, &admin, "/api/products?q=cab-old")["items"][0]["name"],
        "Кабель старый",
        "the list still finds inactive products"
    );

    let r = app.send(Method::PATCH, "/api/products/2", &admin, Some(json!({"active": true})));
    assert_eq!(r.status(), 200);
    assert_eq!(
        names(&get(&app, &admin, "/api/products/picker?q=cab-old")),
        vec!["Кабель старый"]
    );
    assert_problem(
        app.send(Method::GET, "/api/products/picker?sort=name", &admin, None),
        400,
    );
    assert_problem(app.send(Method::POST, "/api/products/picker", &admin, None), 405);
}

#[test]
fn sections_are_a_tree_and_a_section_in_use_is_not_deleted() {
    let app = spawn_app();
    let admin = app.setup_admin();
    let r = app.send(
        Method::POST,
        "/api/product-sections",
        &admin,
        Some(json!({"name": "Электрика"})),
    );
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["location"], "/api/product-sections/1");
    let child = post(
        &app,
        &admin,
        "/api/product-sections",
        json!({"name": "Кабели", "parent_id": 1}),
    );
    assert_eq!(child["parent_id"], 1);
    let cycle = assert_problem(
        app.send(
            Method::PATCH,
            "/api/product-sections/1",
            &admin,
            Some(json!({"parent_id": 2})),
        ),
        422,
    );
    assert_eq!(fields(&cycle), vec!["parent_id"]);
    assert_eq!(cycle["errors"][0]["code"], "cycle");
    assert_eq!(
        get(&app, &admin, "/api/product-sections?filter[parent_id]=1")["items"][0]["name"],
        "Кабели"
    );

    assert_problem(app.send(Method::DELETE, "/api/product-sections/1", &admin, None), 409);
    post(&app, &admin, "/api/products", json!({"name": "Cable", "section_id": 2}));
    let in_use = assert_problem(app.send(Method::DELETE, "/api/product-sections/2", &admin, None), 409);
    assert!(
        in_use["detail"].as_str().unwrap_or_default().contains("products"),
        "{in_use}"
    );
    let r = app.send(
        Method::PATCH,
        "/api/products/1",
        &admin,
        Some(json!({"section_id": null})),
    );
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.send(Method::DELETE, "/api/product-sections/2", &admin, None)
            .status(),
        204
    );
    assert_eq!(
        app.send(Method::DELETE, "/api/product-sections/1", &admin, None)
            .status(),
        204
    );
    assert_problem(app.send(Method::GET, "/api/product-sections/1", &admin, None), 404);
}

#[test]
fn a_manager_reads_the_catalog_but_may_not_write_it() {
    let app = spawn_app();
    let admin = app.setup_admin();
    app.create_user(&admin, "manager@example.com", &["manager"], None);
    let manager = app.login("manager@example.com", PASSWORD);
    post(&app, &admin, "/api/product-sections", json!({"name": "Tools"}));
    post(
        &app,
        &admin,
        "/api/products",
        json!({"name": "Hammer", "section_id": 1}),
    );

    assert_eq!(names(&get(&app, &manager, "/api/products")), vec!["Hammer"]);
    assert_eq!(
        names(&get(&app, &manager, "/api/products/picker?q=ham")),
        vec!["Hammer"]
    );
    assert_eq!(names(&get(&app, &manager, "/api/product-sections")), vec!["Tools"]);
    assert_problem(
        app.send(Method::POST, "/api/products", &manager, Some(json!({"name": "Saw"}))),
        403,
    );
    assert_problem(
        app.send(Method::PATCH, "/api/products/1", &manager, Some(json!({"price": "1"}))),
        403,
    );
    assert_problem(app.send(Method::DELETE, "/api/products/1", &manager, None), 403);
    assert_problem(
        app.send(
            Method::POST,
            "/api/product-sections",
            &manager,
            Some(json!({"name": "Mine"})),
        ),
        403,
    );
    assert_eq!(
        get(&app, &admin, "/api/products?count=true")["total"],
        1,
        "nothing was written"
    );
}

//! A user's saved language and time zone: stored, read back with the user,
//! cleared, and refused by the database when they are no language code or
//! zone name. Needs PostgreSQL
//! (`TEST_DATABASE_URL`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use pricewatch_storage::models::Preferences;
use pricewatch_storage::queries::users;
use uuid::Uuid;

#[tokio::test]
async fn preferences_are_saved_read_back_and_cleared() {
    let url = pricewatch_test_support::create().await.unwrap();
    let mut conn = pricewatch_storage::pool::connect_once(&url).await.unwrap();
    let user = pricewatch_test_support::insert_user(&mut conn)
        .await
        .unwrap();

    // A new account follows the browser.
    let (_, unset) = users::find_with_preferences(&mut conn, user.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(unset, Preferences::default());

    let french = Preferences {
        language: Some("fr".into()),
        time_zone: Some("Europe/Paris".into()),
    };
    let stored = users::set_preferences(&mut conn, user.id, &french)
        .await
        .unwrap();
    assert_eq!(stored.as_ref(), Some(&french));
    let (_, version, read) = users::find_with_version(&mut conn, user.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((version, &read), (0, &french));
    let (_, by_email) = users::find_by_email_with_preferences(&mut conn, &user.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_email, french);

    // None clears: back to the browser's choice.
    let zone_only = Preferences {
        language: None,
        time_zone: Some("Asia/Tokyo".into()),
    };
    users::set_preferences(&mut conn, user.id, &zone_only)
        .await
        .unwrap();
    let (_, read) = users::find_with_preferences(&mut conn, user.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read, zone_only);

    // The database refuses what is no language code or zone name.
    for bad in [
        Preferences {
            language: Some("French".into()),
            time_zone: None,
        },
        Preferences {
            language: None,
            time_zone: Some(String::new()),
        },
    ] {
        assert!(
            users::set_preferences(&mut conn, user.id, &bad)
                .await
                .is_err()
        );
    }
    assert_eq!(
        users::set_preferences(&mut conn, Uuid::new_v4(), &french)
            .await
            .unwrap(),
        None
    );
    drop(conn);
    pricewatch_test_support::drop(&url).await.unwrap();
}

// ModelPicker: a combo of the checkpoints discoverModels() finds (the app's model folder, the
// user's folders, the Hugging Face cache, the embedded defaults), with Add folder and Refresh.
#pragma once

#include "engine/clip_service.h"

#include <QDir>
#include <QWidget>

#include <vector>

class EngineBridge;
class QComboBox;
class QStandardItemModel;
class QToolButton;

class ModelPicker : public QWidget {
    Q_OBJECT
public:
    // family: only entries of this family ("clip"), or of these families in the order preferred
    // ("llava,blip-2"), can be chosen; others are listed greyed. settingsKey: where the chosen
    // checkpoint's path is remembered.
    ModelPicker(EngineBridge *bridge, const QString &family, const QString &settingsKey, QWidget *parent = nullptr);

    // Searches (again), in an I/O job; refreshed() follows. The first search also starts
    // when the picker is first shown.
    void refresh();
    // The first search now unless one has run (a picker searches when first shown otherwise).
    void ensureSearched();
    // Remembers a folder (in QSettings, shared by every picker) and searches again.
    void addFolder(const QString &path);
    static QStringList userFolders();

    QString currentPath() const; // empty when nothing usable is chosen
    std::optional<ml::ModelEntry> currentEntry() const;
    bool selectPath(const QString &path); // false when it is not listed or not selectable
    const std::vector<ml::ModelEntry> &entries() const { return m_entries; }
    bool isRefreshing() const { return m_job != 0; }
    QComboBox *combo() const { return m_combo; }

    // The embedded model a family starts with until the user picks one: "clip-mini" for "clip",
    // "blip2-mini" for "blip-2", "llava-mini" for "llava". Several families: the first's.
    static QString embeddedDefault(const QString &family);
    static QStringList families(const QString &family); // "llava,blip-2" -> {"llava", "blip-2"}
    static bool isUsable(const ml::ModelEntry &entry, const QString &family);
    // Which entry a search shows: the remembered path, else the embedded default of the first
    // family that has one present, else `shown` (what was current before), else the first
    // usable; -1 when none is usable.
    static int chooseEntry(const std::vector<ml::ModelEntry> &entries, const QString &family, const QString &remembered,
        const QString &shown);

Q_SIGNALS:
    void currentChanged(const QString &path);
    void refreshed(int usable); // how many entries of the family were found
    void failed(const QString &message);

protected:
    void changeEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override; // the first search waits until the picker is seen

private:
    void populate(std::vector<ml::ModelEntry> entries);
    void addFolderDialog();
    void retranslate();
    QString sourceName(const std::string &source) const;

    EngineBridge *m_bridge;
    QString m_family;
    QString m_settingsKey;
    QComboBox *m_combo;
    QStandardItemModel *m_items;
    QToolButton *m_add;
    QToolButton *m_refresh;
    std::vector<ml::ModelEntry> m_entries; // in combo order
    quint64 m_job = 0;
    bool m_searched = false;
};

// Keeps a feature's controller on the picker's checkpoint: the one chosen, and the one found by a
// refresh (the models are then no longer pending). Controller: setModel(QString), setModelsPending(bool).
template<class Controller> void followPicker(ModelPicker *picker, Controller *c)
{
    QObject::connect(picker, &ModelPicker::currentChanged, c, &Controller::setModel);
    QObject::connect(picker, &ModelPicker::refreshed, c, [picker, c] {
        c->setModelsPending(false);
        c->setModel(picker->currentPath());
    });
}

// The controller's modelRequested(path) (an answer of another model, a conversation reopened)
// selects that checkpoint in the picker unless it is the one shown.
template<class Controller> void selectRequestedModels(ModelPicker *picker, Controller *c)
{
    QObject::connect(c, &Controller::modelRequested, picker, [picker](const QString &path) {
        if (!path.isEmpty() && QDir::cleanPath(path) != QDir::cleanPath(picker->currentPath()))
            picker->selectPath(path);
    });
}
